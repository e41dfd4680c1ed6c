/**
 * The training worker thread: runs trainer/trainer.ts's train() for the main process (the app's
 * training service, the CLI) and streams its progress. Protocol: trainer/protocol.ts.
 * Spawn it with a TrainingClient (trainer/client.ts). No electron imports (house rule 1).
 */
import { parentPort } from 'node:worker_threads'
import { serializeError } from '../../common/ipc/errors'
import type { BackendReport } from '../../common/types/training'
import type { FromTrainingWorker, ToTrainingWorker } from './trainer/protocol'
import { chooseTrainingBackend, train } from './trainer/trainer'

const port = parentPort
if (!port) throw new Error('engine/worker.ts must run in a worker thread')

let seq = 0
const send = (msg: DistributiveOmit<FromTrainingWorker, 'seq'>): void => port.postMessage({ ...msg, seq: ++seq })

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The run in progress: its request id, how to cancel it, and its backend once chosen. */
interface ActiveRun {
  id: number
  controller: AbortController
  backend?: BackendReport
  /** probes that came before the run chose its backend */
  probes: ToProbe[]
}
let active: ActiveRun | undefined

type ToProbe = Extract<ToTrainingWorker, { type: 'probe' }>

/** Probes in flight, one after another; a run starts after them (both activate a backend). */
let probing: Promise<void> = Promise.resolve()

/** Answers a probe by choosing the backend (activating it in this thread, as a run would). */
function probe(msg: ToProbe): void {
  probing = probing.then(() => {
    const notes: string[] = []
    return chooseTrainingBackend(msg.preferred, (m) => notes.push(m)).then(
      (b) => send({ type: 'backend', id: msg.id, backend: notes.length > 0 ? { ...b, note: notes.join('; ') } : b }),
      (err: unknown) => send({ type: 'error', id: msg.id, error: serializeError(err) })
    )
  })
}

port.on('message', (msg: ToTrainingWorker) => {
  switch (msg.type) {
    case 'start': {
      if (active) {
        send({ type: 'error', id: msg.id, error: { name: 'UserError', message: `a run is in progress (request ${active.id})`, code: 'BUSY' } })
        return
      }
      const run: ActiveRun = { id: msg.id, controller: new AbortController(), probes: [] }
      active = run
      const answerProbes = (): void => {
        for (const p of run.probes.splice(0)) {
          if (run.backend) send({ type: 'backend', id: p.id, backend: run.backend })
          else probe(p)
        }
      }
      probing
        .then(() =>
          train({
            request: msg.request,
            signal: run.controller.signal,
            onBackend: (backend) => {
              run.backend = backend
              answerProbes()
            },
            onProgress: (progress) => send({ type: 'progress', id: run.id, progress }),
            onLog: (message) => send({ type: 'log', id: run.id, message })
          })
        )
        .then(
          (result) => {
            active = undefined
            answerProbes()
            send({ type: 'done', id: run.id, result })
          },
          (err: unknown) => {
            active = undefined
            answerProbes()
            send({ type: 'error', id: run.id, error: { ...serializeError(err), stack: err instanceof Error ? err.stack : undefined } })
          }
        )
      return
    }
    case 'cancel':
      if (active?.id === msg.id) active.controller.abort()
      return
    case 'probe':
      // During a run its backend is in use: report that one rather than switching backends under it
      // (a run that has not chosen yet answers once it has).
      if (active?.backend) send({ type: 'backend', id: msg.id, backend: active.backend })
      else if (active) active.probes.push(msg)
      else probe(msg)
      return
  }
})

send({ type: 'ready' })
