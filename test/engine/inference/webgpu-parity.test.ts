/**
 * onnxruntime-node's WebGPU execution provider against its CPU provider on an exported DeSTSeg
 * (random weights, 64x64, batch 2): the anomaly maps agree within 1e-3. Runs only where the WebGPU
 * provider can create a session; elsewhere it skips and prints why (CI has no Vulkan driver).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exportRandomDeSTSeg } from '../../../src/main/engine/inference/bench'
import { createSession } from '../../../src/main/engine/inference/providers'
import { InferenceSessionRunner } from '../../../src/main/engine/inference/session-runner'
import { selectBackend } from '../../../src/main/engine/backend'
import { maxAbsDiff } from '../helpers'
import { writeFakeModel } from './fake-model'

const dir = mkdtempSync(join(tmpdir(), 'destseg-webgpu-parity-'))
const fake = join(dir, 'fake.onnx')
writeFakeModel(fake, { size: 32 })
const probe = await createSession(fake, ['webgpu'], 1)
await probe.session.release()
const unavailable = probe.provider === 'webgpu' ? undefined : (probe.fallbacks[0]?.reason ?? 'no WebGPU provider')
console.info(unavailable ? `WebGPU provider parity skipped: ${unavailable}` : `WebGPU provider on ${probe.device ?? 'an unnamed adapter'}`)

describe.skipIf(unavailable !== undefined)('WebGPU execution provider vs CPU', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('gives the same anomaly maps within 1e-3', async () => {
    await selectBackend('cpu')
    const model = await exportRandomDeSTSeg(join(dir, 'destseg.onnx'), 64)
    const input = Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37) * 2) // [2, 3, 64, 64]
    const maps: Float32Array[] = []
    for (const provider of ['cpu', 'webgpu'] as const) {
      const runner = await InferenceSessionRunner.create(model, { providers: [provider], intraOpNumThreads: 1 })
      try {
        expect(runner.info.provider).toBe(provider)
        maps.push(Float32Array.from((await runner.run(input, 2)).maps))
      } finally {
        await runner.dispose()
      }
    }
    const diff = maxAbsDiff(maps[1], maps[0])
    console.info(`WebGPU vs CPU provider, max |diff| of the maps: ${diff}`)
    expect(diff).toBeLessThan(1e-3)
  }, 300_000)
})

if (unavailable !== undefined) rmSync(dir, { recursive: true, force: true })
