import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { missingTrainingKernels, selectBackend } from '../../src/main/engine/backend'
import { installWasmTrainingKernels, WASM_TRAINING_KERNELS, wasmTrainingKernelsInstalled } from '../../src/main/engine/kernels'

describe('selectBackend', () => {
  afterAll(async () => {
    await selectBackend('cpu')
  })

  it('picks the best backend that loads and says why the better ones were skipped', async () => {
    const choice = await selectBackend()
    expect(['tensorflow', 'wasm', 'cpu']).toContain(choice.name)
    expect(tf.getBackend()).toBe(choice.name)
    if (choice.name !== 'tensorflow') {
      // tfjs-node(-gpu) are optional dependencies that do not install on these machines.
      expect(choice.reason).toMatch(/tfjs-node-gpu: /)
      expect(choice.reason).toMatch(/tfjs-node: /)
    }
  })

  it('honours a preference; wasm trains with the kernels it installs, once', async () => {
    const wasm = await selectBackend('wasm')
    expect(wasm.name).toBe('wasm')
    expect(wasm.trains).toBe(true)
    expect(wasm.threads).toBe(1) // tfjs-backend-wasm keeps its thread pool off under Node
    expect(wasm.reason ?? '').not.toMatch(/cannot train/)
    expect(missingTrainingKernels('wasm')).toEqual([])
    expect(wasmTrainingKernelsInstalled()).toBe(true)
    expect(WASM_TRAINING_KERNELS).toContain('Conv2DBackpropFilter')
    expect(installWasmTrainingKernels()).toEqual([]) // idempotent
    expect((await selectBackend('wasm')).trains).toBe(true)

    const cpu = await selectBackend('cpu')
    expect(cpu).toEqual({ name: 'cpu', trains: true, threads: 1 })
    expect(missingTrainingKernels('cpu')).toEqual([])
  })

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend('webgpu-please')).rejects.toThrow(/Unknown backend 'webgpu-please'/)
  })
})
