/**
 * Data-loading worker thread: makes training batches (decode, resize, augment, synthesise,
 * normalise) while the compute thread runs the networks. One batch at a time, in request order;
 * the batch's arrays are transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { serializeError } from '../../../common/ipc/errors'
import { BatchProducer } from './batch-producer'
import type { DataWorkerData, FromDataWorker, ToDataWorker } from './prefetch-protocol'

const port = parentPort
if (!port) throw new Error('prefetch-worker.ts must run in a worker thread')
const { spec } = workerData as DataWorkerData
const producer = new BatchProducer(spec)
let queue: Promise<void> = Promise.resolve()

const post = (msg: FromDataWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer)

port.on('message', (msg: ToDataWorker) => {
  if (msg.type === 'produce') {
    const { step } = msg
    queue = queue.then(() =>
      producer.produce(step).then(
        (batch) => post({ type: 'batch', batch }, [batch.normal.buffer, batch.anomalous.buffer, batch.mask.buffer] as ArrayBuffer[]),
        (err: unknown) => post({ type: 'error', step, error: serializeError(err) })
      )
    )
  } else if (msg.type === 'close') {
    // finish what is in flight (sharp must not be torn down mid-operation), then let the thread end
    void queue.then(() => port.close())
  }
})
