/**
 * Times evaluateCategory on a synthetic category the size of a real one and prints JSON. Not a
 * test: timings vary with the machine and its load.
 *
 *   npx tsx scripts/bench-metrics.ts [--normal 80] [--anomalous 200] [--runs 3] [--seed 0] [--maps bump|noise]
 *
 * Anomalous images get 1-4 elliptic defects. Maps are continuous (few ties): 'bump' (default) is
 * uniform noise plus 0.6 on the defects, like a weak detector; 'noise' is uniform noise alone, the
 * worst case (ground-truth scores spread over every score bucket, so every normal pixel is sorted). One warm-up call, then `runs`
 * timed calls: wall-clock ms (first, median of the rest, each) and the process CPU ms of each (on a
 * shared machine the CPU time is the steadier number), with the 1-minute load average.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { evaluateCategory, type EvalSample } from '../src/main/engine/metrics'

const EVAL_SIZE = 256
const EVAL_PIXELS = EVAL_SIZE * EVAL_SIZE
import { Random } from '../src/main/engine/random'

function syntheticCategory(normal: number, anomalous: number, seed: number, bump: number): EvalSample[] {
  const random = new Random(seed)
  const samples: EvalSample[] = []
  for (let n = 0; n < normal + anomalous; n++) {
    const gt = n < normal ? null : new Uint8Array(EVAL_PIXELS)
    if (gt) {
      const defects = 1 + Math.floor(random.next() * 4)
      for (let d = 0; d < defects; d++) {
        const cy = random.next() * EVAL_SIZE
        const cx = random.next() * EVAL_SIZE
        const ry = 2 + random.next() * 30
        const rx = 2 + random.next() * 30
        for (let y = 0; y < EVAL_SIZE; y++)
          for (let x = 0; x < EVAL_SIZE; x++) if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) gt[y * EVAL_SIZE + x] = 1
      }
    }
    const map = new Float32Array(EVAL_PIXELS)
    for (let i = 0; i < EVAL_PIXELS; i++) map[i] = random.next() + (gt && gt[i] ? bump : 0)
    samples.push({ path: `synthetic/${n}`, defect: gt ? 'defect' : 'good', gt, map })
  }
  return samples
}

const { values } = parseArgs({
  options: {
    normal: { type: 'string' },
    anomalous: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    maps: { type: 'string' }
  }
})
const normal = Number(values.normal ?? 80)
const anomalous = Number(values.anomalous ?? 200)
const runs = Math.max(1, Number(values.runs ?? 3))
const maps = values.maps ?? 'bump'
if (maps !== 'bump' && maps !== 'noise') throw new Error(`--maps must be bump or noise, got ${maps}`)
const samples = syntheticCategory(normal, anomalous, Number(values.seed ?? 0), maps === 'bump' ? 0.6 : 0)
const times: number[] = []
const cpuTimes: number[] = []
let report = evaluateCategory(samples)
for (let r = 0; r < runs; r++) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  report = evaluateCategory(samples)
  times.push(performance.now() - started)
  const used = process.cpuUsage(cpu)
  cpuTimes.push((used.user + used.system) / 1000)
}
const rest = times.slice(1).sort((a, b) => a - b)
const median = rest.length > 0 ? rest[rest.length >> 1] : times[0]
process.stdout.write(
  `${JSON.stringify({
    maps,
    images: samples.length,
    pixels: samples.length * EVAL_PIXELS,
    positive_pixels: report.positive_pixels,
    instances: report.instances,
    first_ms: Math.round(times[0]),
    median_ms: Math.round(median),
    runs: times.map(Math.round),
    cpu_ms: cpuTimes.map(Math.round),
    load_average: os.loadavg()[0],
    metrics: {
      image_auroc: report.image_auroc,
      pixel_auroc: report.pixel_auroc,
      pixel_ap: report.pixel_ap,
      iap: report.iap,
      iap90: report.iap90,
      aupro: report.aupro
    }
  })}\n`
)
