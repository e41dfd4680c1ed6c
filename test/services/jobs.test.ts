import { describe, expect, it } from 'vitest'
import type { JobProgress, JobState } from '../../src/common/types/jobs'
import { UserError } from '../../src/common/ipc/errors'
import { createServices } from '../../src/main/services/api'
import { ApiEventBus } from '../../src/main/services/events'
import { JobRunner } from '../../src/main/services/jobs'
import { asImportRequest } from '../../src/main/services/validate'
import { openDatabase } from '../../src/main/store/db'
import { tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()

function recorder(): { events: ApiEventBus; states: JobState[]; progress: JobProgress[] } {
  const events = new ApiEventBus()
  const states: JobState[] = []
  const progress: JobProgress[] = []
  events.on('jobs:onState', (s) => states.push(s))
  events.on('jobs:onProgress', (p) => progress.push(p))
  return { events, states, progress }
}

/** A promise with its resolve, to hold a job open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

describe('JobRunner', () => {
  it('runs a job under the id the caller gives, in its events and for cancel', async () => {
    const { events, states, progress } = recorder()
    const runner = new JobRunner(events)
    const held = gate()
    const running = runner.run(
      'import',
      'Importing /x',
      async (job) => {
        expect(job.jobId).toBe('my-job')
        job.progress({ label: 'Checking images', done: 1, total: 2 })
        await held.promise
        job.signal.throwIfAborted()
        return 42
      },
      'my-job'
    )
    expect(states).toEqual([{ jobId: 'my-job', kind: 'import', status: 'running', label: 'Importing /x' }])
    expect(progress).toEqual([{ jobId: 'my-job', kind: 'import', label: 'Checking images', done: 1, total: 2 }])
    expect(runner.cancel('my-job')).toBe(true)
    held.open()
    await expect(running).rejects.toThrow(/abort/i)
    expect(states.at(-1)).toMatchObject({ jobId: 'my-job', status: 'cancelled' })
    expect(runner.cancel('my-job')).toBe(false)

    // Finished, the id may be used again.
    await expect(runner.run('import', 'again', async () => 'ok', 'my-job')).resolves.toBe('ok')
    expect(states.at(-1)).toMatchObject({ jobId: 'my-job', status: 'done', label: 'again' })
  })

  it('refuses an id that is running, without touching that job', async () => {
    const { events, states } = recorder()
    const runner = new JobRunner(events)
    const held = gate()
    const first = runner.run('rescan', 'Re-scanning', () => held.promise.then(() => 'first'), 'same')
    const work = async (): Promise<string> => 'second'
    const second = runner.run('import', 'Importing', work, 'same')
    await expect(second).rejects.toThrow(UserError)
    await expect(second).rejects.toMatchObject({ code: 'JOB_ID_TAKEN', message: expect.stringMatching(/already running/) })
    expect(states).toEqual([{ jobId: 'same', kind: 'rescan', status: 'running', label: 'Re-scanning' }])
    held.open()
    await expect(first).resolves.toBe('first')
    expect(states.at(-1)).toMatchObject({ jobId: 'same', status: 'done' })
  })

  it('chooses a fresh UUID when no id is given', async () => {
    const { events, states } = recorder()
    const runner = new JobRunner(events)
    await runner.run('import', 'a', async () => undefined)
    await runner.run('import', 'b', async () => undefined)
    const ids = [...new Set(states.map((s) => s.jobId))]
    expect(ids).toHaveLength(2)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})

describe('job ids at the API', () => {
  it('accepts an optional jobId of at most 100 characters in import requests', () => {
    expect(asImportRequest({ folder: '/x' }).jobId).toBeUndefined()
    expect(asImportRequest({ folder: '/x', jobId: null }).jobId).toBeUndefined()
    expect(asImportRequest({ folder: '/x', jobId: 'a'.repeat(100) }).jobId).toBe('a'.repeat(100))
    expect(() => asImportRequest({ folder: '/x', jobId: 'a'.repeat(101) })).toThrow(/jobId/)
    expect(() => asImportRequest({ folder: '/x', jobId: 7 })).toThrow(/jobId/)
  })

  it('runs datasets:import and datasets:rescan under the given job id', async () => {
    const dir = tempDir()
    const db = openDatabase(':memory:')
    try {
      const { handlers, events } = createServices({ db, dbPath: ':memory:', dataDir: dir, version: 'test', transport: 'http' })
      const states: JobState[] = []
      events.on('jobs:onState', (s) => states.push(s))
      await expect(handlers['datasets:import']({ folder: `${dir}/missing`, jobId: 'import-1' })).rejects.toThrow(
        /Folder not found/
      )
      await expect(handlers['datasets:rescan'](12345, 'rescan-1')).rejects.toThrow(/not found/)
      expect(() => handlers['datasets:rescan'](1, 'x'.repeat(101))).toThrow(/jobId/) // checked before any job starts
      expect(states.map((s) => [s.jobId, s.kind, s.status])).toEqual([
        ['import-1', 'import', 'running'],
        ['import-1', 'import', 'failed'],
        ['rescan-1', 'rescan', 'running'],
        ['rescan-1', 'rescan', 'failed']
      ])
    } finally {
      db.close()
    }
  })
})
