/**
 * The training kernels of the webgpu backend against the cpu backend (cases in webgpu-cases.ts):
 * gradients of stride-1 and stride-2 convolutions (Conv2DBackpropFilter/Input), the dilated
 * convolutions of ASPP, the training-mode BatchNorm, bilinear resizing and max pooling, and every
 * parameter gradient of the phase-1 and phase-2 losses.
 *
 * Runs only where a WebGPU adapter exists, else skips and prints why (CPU machines and CI have no
 * Vulkan driver). On a CPU-only Linux machine it can run on Mesa's llvmpipe through Dawn's OpenGL ES
 * backend (minutes: every shader compiles on the CPU):
 *   DESTSEG_WEBGPU_BACKEND=opengles EGL_PLATFORM=surfaceless npx vitest run test/engine/kernels/webgpu.test.ts
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { registerWebGpuBackend, SyncReadError, webGpuAdapterInfo } from '../../../src/main/engine/kernels/webgpu'
import { useBackend } from '../helpers'
import { compareCase, WEBGPU_TOLERANCE } from './webgpu-cases'

const unavailable = await registerWebGpuBackend()
if (unavailable) console.info(`webgpu kernel tests skipped: ${unavailable}`)
else console.info(`webgpu kernel tests on: ${webGpuAdapterInfo()?.name}`)

const diffs: Record<string, number> = {}

async function check(...names: string[]): Promise<void> {
  for (const name of names) {
    diffs[name] = await compareCase(name)
    expect(diffs[name], name).toBeLessThan(WEBGPU_TOLERANCE)
  }
}

describe.skipIf(unavailable !== undefined)('webgpu training kernels vs cpu', () => {
  afterAll(async () => {
    console.info('webgpu vs cpu, max scaled |diff|:', JSON.stringify(diffs))
    await useBackend('cpu')
  })

  it('conv2d gradients, stride 1 and 2 (Conv2DBackpropFilter, Conv2DBackpropInput)', async () => {
    await check('conv2d/s1', 'conv2d/s2')
  })

  it('dilated convolutions (ASPP rates) and their gradients', async () => {
    await check('dilated/d2', 'dilated/d6')
  })

  it('training-mode BatchNorm, bilinear resize and max pool gradients', async () => {
    await check('batchnorm', 'resize', 'maxpool')
  })

  // seconds on a GPU; minutes on llvmpipe
  it('phase-1 loss and every student gradient at 32x32', async () => {
    await check('phase1')
  }, 900_000)

  it('phase-2 loss and every segmentation-net gradient at 32x32', async () => {
    await check('phase2')
  }, 900_000)

  it('a synchronous read of GPU data says what to do instead; cached values read synchronously', async () => {
    expect(await tf.setBackend('webgpu')).toBe(true)
    // above WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so computed on the GPU
    const t = tf.add(tf.tensor(Float32Array.from({ length: 4096 }, (_, i) => i)), 1)
    expect(() => t.dataSync()).toThrow(SyncReadError)
    const values = await t.data()
    expect(Array.from(t.dataSync())).toEqual(Array.from(values))
    t.dispose()
  })
})
