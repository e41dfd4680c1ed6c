/**
 * The GPU machine's correctness check (scripts/bench-gpu.sh), without vitest: the webgpu training
 * kernels against the cpu backend (the cases of test/engine/kernels/webgpu-cases.ts, tolerance 2e-3
 * scaled) and onnxruntime's WebGPU provider against its CPU provider on an exported random DeSTSeg
 * (64x64, batch 2, tolerance 1e-3). Prints one JSON line {"adapter", "kernels": {case: diff},
 * "kernels_ok", "provider", "provider_diff", "provider_ok"}; exits 1 when a check fails or cannot run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { selectBackend } from '../src/main/engine/backend'
import { exportRandomDeSTSeg } from '../src/main/engine/inference/bench'
import { InferenceSessionRunner } from '../src/main/engine/inference/session-runner'
import { registerWebGpuBackend, webGpuAdapterInfo } from '../src/main/engine/kernels/webgpu'
import { compareCase, WEBGPU_CASES, WEBGPU_TOLERANCE } from '../test/engine/kernels/webgpu-cases'

async function providerParity(): Promise<{ provider: string; diff: number | null; reason?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'destseg-parity-'))
  try {
    await selectBackend('cpu')
    const model = await exportRandomDeSTSeg(join(dir, 'destseg.onnx'), 64)
    const input = Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37) * 2) // [2, 3, 64, 64]
    const maps: Float32Array[] = []
    let used = 'cpu'
    for (const provider of ['cpu', 'webgpu'] as const) {
      const runner = await InferenceSessionRunner.create(model, { providers: [provider] })
      try {
        if (provider === 'webgpu') {
          used = runner.info.provider
          if (used !== 'webgpu') return { provider: used, diff: null, reason: runner.info.fallbacks[0]?.reason }
        }
        maps.push(Float32Array.from((await runner.run(input, 2)).maps))
      } finally {
        await runner.dispose()
      }
    }
    let diff = 0
    for (let i = 0; i < maps[0].length; i++) diff = Math.max(diff, Math.abs(maps[1][i] - maps[0][i]))
    return { provider: used, diff }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const why = await registerWebGpuBackend()
  const kernels: Record<string, number | string> = {}
  if (why === undefined) {
    for (const name of Object.keys(WEBGPU_CASES)) {
      try {
        kernels[name] = await compareCase(name)
      } catch (err) {
        kernels[name] = `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`
      }
      process.stderr.write(`${name}: ${kernels[name]}\n`)
    }
  }
  const kernelsOk = why === undefined && Object.values(kernels).every((d) => typeof d === 'number' && d < WEBGPU_TOLERANCE)
  const parity = await providerParity()
  const providerOk = parity.provider === 'webgpu' && parity.diff !== null && parity.diff < 1e-3
  process.stdout.write(
    `${JSON.stringify({
      adapter: webGpuAdapterInfo() ?? null,
      reason: why ?? null,
      kernels,
      kernels_ok: kernelsOk,
      kernel_tolerance: WEBGPU_TOLERANCE,
      provider: parity.provider,
      provider_diff: parity.diff,
      provider_reason: parity.reason ?? null,
      provider_ok: providerOk
    })}\n`
  )
  process.exit(kernelsOk && providerOk ? 0 : 1)
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
