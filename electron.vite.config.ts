import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const common = { '@common': resolve(__dirname, 'src/common') }

export default defineConfig({
  main: { resolve: { alias: common } },
  // A sandboxed preload cannot require anything but electron: bundle everything.
  preload: { resolve: { alias: common }, build: { externalizeDeps: false } },
  renderer: {
    resolve: { alias: { ...common, '@renderer': resolve(__dirname, 'src/renderer/src') } },
    plugins: [vue()]
  }
})
