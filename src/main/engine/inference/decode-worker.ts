/**
 * The inference worker's decoding thread: turns image paths into normalised NCHW batches while
 * the inference thread is inside session.run (which blocks that thread's event loop in
 * onnxruntime-node, so decoding there would not overlap). One batch at a time, in request order.
 */
import { parentPort } from 'node:worker_threads'
import { serializeError } from '../../../common/ipc/errors'
import type { FromDecodeWorker, ToDecodeWorker } from './decode-protocol'
import { loadInputBatch } from './preprocess'

const port = parentPort
if (!port) throw new Error('inference/decode-worker.ts must run in a worker thread')
let queue: Promise<void> = Promise.resolve()

const post = (msg: FromDecodeWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer)

port.on('message', (msg: ToDecodeWorker) => {
  if (msg.type === 'load') {
    const { id, paths, size } = msg
    queue = queue.then(() =>
      loadInputBatch(paths, size).then(
        (batch) => post({ type: 'loaded', id, batch }, [batch.input.buffer as ArrayBuffer]),
        (err: unknown) => post({ type: 'error', id, error: serializeError(err) })
      )
    )
  } else if (msg.type === 'close') {
    // finish what is in flight (sharp must not be torn down mid-operation), then let the thread end
    void queue.then(() => port.close())
  }
})
