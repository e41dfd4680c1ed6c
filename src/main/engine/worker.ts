/**
 * The training worker thread: runs trainer/trainer.ts's train() for the main process (the app's
 * training service, the CLI) and streams its progress. Protocol: trainer/protocol.ts.
 * Spawn it with a TrainingClient (trainer/client.ts). No electron imports (house rule 1).
 */
import { parentPort } from 'node:worker_threads'
import { serializeError } from '../../common/ipc/errors'
import type { FromTrainingWorker, ToTrainingWorker } from './trainer/protocol'
import { train } from './trainer/trainer'

const port = parentPort
if (!port) throw new Error('engine/worker.ts must run in a worker thread')

let seq = 0
const send = (msg: DistributiveOmit<FromTrainingWorker, 'seq'>): void => port.postMessage({ ...msg, seq: ++seq })

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The run in progress: its request id and how to cancel it. */
let active: { id: number; controller: AbortController } | undefined

port.on('message', (msg: ToTrainingWorker) => {
  switch (msg.type) {
    case 'start': {
      if (active) {
        send({ type: 'error', id: msg.id, error: { name: 'UserError', message: `a run is in progress (request ${active.id})`, code: 'BUSY' } })
        return
      }
      const run = { id: msg.id, controller: new AbortController() }
      active = run
      train({
        request: msg.request,
        signal: run.controller.signal,
        onProgress: (progress) => send({ type: 'progress', id: run.id, progress }),
        onLog: (message) => send({ type: 'log', id: run.id, message })
      }).then(
        (result) => {
          active = undefined
          send({ type: 'done', id: run.id, result })
        },
        (err: unknown) => {
          active = undefined
          send({ type: 'error', id: run.id, error: { ...serializeError(err), stack: err instanceof Error ? err.stack : undefined } })
        }
      )
      return
    }
    case 'cancel':
      if (active?.id === msg.id) active.controller.abort()
      return
  }
})

send({ type: 'ready' })
