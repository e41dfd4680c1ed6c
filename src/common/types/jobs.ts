/** Long work (import, training, evaluation) is a job: it reports progress and can be cancelled. */

export type JobKind = 'import' | 'rescan' | 'texture-import' | 'inspection' | 'label-export'
export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled'

export interface JobProgress {
  jobId: string
  kind: JobKind
  /** what is being done now, for people */
  label: string
  done: number
  total: number
}

export interface JobState {
  jobId: string
  kind: JobKind
  status: JobStatus
  label: string
  error?: string
}
