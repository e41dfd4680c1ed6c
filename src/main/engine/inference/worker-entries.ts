/**
 * Where the inference threads' entry files are. From sources they are inference/worker.ts and
 * inference/decode-worker.ts; in the app's build everything is bundled into out/main/, where
 * `worker.js` is the training worker, so the build entries are named inference-worker.js and
 * inference-decode-worker.js (to be listed in electron.vite.config.ts's main inputs).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { workerEntry } from '../data/worker-spawn'

const BUILD_NAMES = { worker: 'inference-worker', 'decode-worker': 'inference-decode-worker' } as const

/** The entry of the inference worker or its decoding thread. */
export function inferenceWorkerEntry(name: keyof typeof BUILD_NAMES): string {
  const source = join(__dirname, `${name}.ts`)
  return existsSync(source) ? source : workerEntry(__dirname, BUILD_NAMES[name])
}
