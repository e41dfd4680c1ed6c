/**
 * The inference worker thread: one InferenceSessionRunner (created by an 'open' request, reused for
 * every later request) over an exported model, with images decoded in a thread of its own so that
 * decoding overlaps session.run. Protocol: inference/protocol.ts; spawn it with an InferenceClient.
 * No electron imports.
 */
import { parentPort } from 'node:worker_threads'
import { serializeError, UserError } from '../../../common/ipc/errors'
import { resultBuffers } from './postprocess'
import type { FromInferenceWorker, ToInferenceWorker } from './protocol'
import { InferenceSessionRunner } from './session-runner'

const port = parentPort
if (!port) throw new Error('inference/worker.ts must run in a worker thread')

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

let seq = 0
const send = (msg: DistributiveOmit<FromInferenceWorker, 'seq'>, transfer: ArrayBuffer[] = []): void =>
  port.postMessage({ ...msg, seq: ++seq }, transfer)
const sendError = (id: number, err: unknown): void =>
  send({ type: 'error', id, error: { ...serializeError(err), stack: err instanceof UserError || !(err instanceof Error) ? undefined : err.stack } })

let runner: Promise<InferenceSessionRunner> | undefined
/** requests run one at a time, in arrival order */
let queue: Promise<void> = Promise.resolve()
/** how to cancel each request that is queued or running */
const controllers = new Map<number, AbortController>()

port.on('message', (msg: ToInferenceWorker) => {
  switch (msg.type) {
    case 'open': {
      if (runner) {
        sendError(msg.id, new UserError('this inference worker already has a session; open another client for another model', 'BUSY'))
        return
      }
      const { modelPath, options, decode } = msg.request
      runner = InferenceSessionRunner.create(modelPath, { ...options, decode: decode ?? 'worker' })
      const opening = runner
      runner.then(
        (r) => send({ type: 'opened', id: msg.id, info: r.info }),
        (err: unknown) => {
          if (runner === opening) runner = undefined // may be opened again
          sendError(msg.id, err)
        }
      )
      return
    }
    case 'infer': {
      const { id, request } = msg
      const controller = new AbortController()
      controllers.set(id, controller)
      const opened = runner
      queue = queue.then(async () => {
        try {
          if (!opened) throw new UserError('no model is open in this inference worker', 'NOT_OPEN')
          const r = await opened
          let count = 0
          await r.process(request, {
            signal: controller.signal,
            onResult: (result) => {
              count++
              send({ type: 'result', id, result }, resultBuffers(result))
            },
            onProgress: (progress) => send({ type: 'progress', id, progress })
          })
          send({ type: 'done', id, count })
        } catch (err) {
          sendError(id, err)
        } finally {
          controllers.delete(id)
        }
      })
      return
    }
    case 'cancel':
      controllers.get(msg.id)?.abort()
      return
    case 'close': {
      for (const c of controllers.values()) c.abort()
      const closing = runner
      runner = undefined
      queue = queue
        .then(async () => (await closing?.catch(() => undefined))?.dispose())
        .then(
          () => send({ type: 'closed', id: msg.id }),
          (err: unknown) => sendError(msg.id, err)
        )
        .finally(() => port.close())
      return
    }
  }
})

send({ type: 'ready' })
