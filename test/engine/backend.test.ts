import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { missingTrainingKernels, selectBackend } from '../../src/main/engine/backend'

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

  it('honours a preference and reports that wasm cannot train yet', async () => {
    const wasm = await selectBackend('wasm')
    expect(wasm.name).toBe('wasm')
    expect(wasm.reason).toMatch(/Conv2DBackpropFilter/)
    expect(missingTrainingKernels('wasm')).toContain('Conv2DBackpropFilter')

    const cpu = await selectBackend('cpu')
    expect(cpu).toEqual({ name: 'cpu' })
    expect(missingTrainingKernels('cpu')).toEqual([])
  })

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend('webgpu-please')).rejects.toThrow(/Unknown backend 'webgpu-please'/)
  })
})
