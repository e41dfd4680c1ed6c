import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const common = { '@common': resolve(__dirname, 'src/common') }

export default defineConfig({
  main: {
    resolve: { alias: common },
    build: {
      // Besides the app, the engine's worker threads are entries of their own: TrainingClient
      // spawns out/main/worker.js and the batch source (inside worker.js) out/main/prefetch-worker.js;
      // InferenceClient spawns inference-worker.js, which decodes in inference-decode-worker.js
      // (see workerEntry and inferenceWorkerEntry); the step after training exports in export-worker.js
      // (exportRunInWorker). Code they share lands in out/main/chunks/.
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          worker: resolve(__dirname, 'src/main/engine/worker.ts'),
          'prefetch-worker': resolve(__dirname, 'src/main/engine/data/prefetch-worker.ts'),
          'inference-worker': resolve(__dirname, 'src/main/engine/inference/worker.ts'),
          'inference-decode-worker': resolve(__dirname, 'src/main/engine/inference/decode-worker.ts'),
          'export-worker': resolve(__dirname, 'src/main/engine/exporter/export-worker.ts')
        }
      }
    }
  },
  // A sandboxed preload cannot require anything but electron: bundle everything.
  preload: { resolve: { alias: common }, build: { externalizeDeps: false } },
  renderer: {
    resolve: { alias: { ...common, '@renderer': resolve(__dirname, 'src/renderer/src') } },
    plugins: [vue()]
  }
})
