/**
 * A short real training run for the GPU check (scripts/bench-gpu.sh): the `quick` preset's shape
 * (128 px, batch 4) for `--steps` steps split evenly between the phases (default 100 + 100), on
 * `--backend` (default webgpu), with a random teacher and a synthetic category and texture folder
 * written to a temporary folder, so it needs none of the shared data (which does not travel to the
 * device machine). Prints one JSON line: {"backend", "device", "steps", "seconds", "ms_per_step":
 * {"student", "segmentation"}, "final_losses", "status"}.
 *
 *   npx tsx scripts/bench-gpu-train.ts [--steps 200] [--backend webgpu] [--size 128] [--batch 4]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { webGpuAdapterInfo } from '../src/main/engine/kernels/webgpu'
import { cpuName } from '../src/main/engine/trainer/bench'
import { makeRunConfig } from '../src/main/engine/trainer/presets'
import { train } from '../src/main/engine/trainer/trainer'
import type { TrainProgress } from '../src/main/engine/trainer/types'

/** A 256x256 RGB image of smooth stripes and noise from a fixed LCG. */
async function writeImage(file: string, seed: number): Promise<void> {
  const n = 256
  const px = Buffer.alloc(n * n * 3)
  let s = seed >>> 0
  for (let i = 0; i < n * n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const y = Math.floor(i / n)
    const x = i % n
    const base = 128 + 60 * Math.sin((x + 3 * y + seed * 17) / 9)
    for (let c = 0; c < 3; c++) px[3 * i + c] = Math.max(0, Math.min(255, base + ((s >>> (8 * c)) & 31) - 16 + 10 * c))
  }
  await sharp(px, { raw: { width: n, height: n, channels: 3 } }).png().toFile(file)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { steps: { type: 'string' }, backend: { type: 'string' }, size: { type: 'string' }, batch: { type: 'string' } }
  })
  const steps = Number(values.steps ?? 200)
  const half = Math.max(1, Math.floor(steps / 2))
  const root = mkdtempSync(join(tmpdir(), 'destseg-gpu-train-'))
  try {
    const dataset = join(root, 'synthetic')
    const textures = join(root, 'textures')
    mkdirSync(join(dataset, 'train', 'good'), { recursive: true })
    mkdirSync(textures)
    await Promise.all([
      ...Array.from({ length: 24 }, (_, i) => writeImage(join(dataset, 'train', 'good', `${String(i).padStart(3, '0')}.png`), i + 1)),
      ...Array.from({ length: 6 }, (_, i) => writeImage(join(textures, `t${i}.png`), 1000 + i))
    ])
    const config = makeRunConfig({
      preset: 'quick',
      dataset,
      textures,
      size: values.size ? Number(values.size) : undefined,
      batch: values.batch ? Number(values.batch) : undefined,
      student_steps: half,
      segmentation_steps: steps - half,
      checkpoint_every: steps,
      teacher: { kind: 'random', seed: 1 },
      backend: values.backend ?? 'webgpu'
    })
    const stepMs: Record<string, number[]> = { student: [], segmentation: [] }
    let last = performance.now()
    let backendName = ''
    const result = await train({
      request: { config, run_dir: join(root, 'run') },
      onBackend: (b) => {
        backendName = b.name
        last = performance.now()
      },
      onLog: (m) => process.stderr.write(`${m}\n`),
      onProgress: (p: TrainProgress) => {
        const now = performance.now()
        stepMs[p.phase]?.push(now - last)
        last = now
      }
    })
    // the first steps of each phase compile kernels; the median of the rest
    const median = (xs: number[]): number | null => {
      const s = xs.slice(2).sort((a, b) => a - b)
      return s.length > 0 ? Math.round(s[s.length >> 1]) : null
    }
    const device = backendName === 'webgpu' ? (webGpuAdapterInfo()?.name ?? 'unknown adapter') : cpuName()
    process.stdout.write(
      `${JSON.stringify({
        backend: result.backend,
        device,
        size: config.size,
        batch: config.batch,
        steps: result.steps,
        seconds: Math.round(result.seconds * 10) / 10,
        ms_per_step: { student: median(stepMs.student), segmentation: median(stepMs.segmentation) },
        final_losses: result.final_losses,
        status: result.status
      })}\n`
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
