/**
 * `destseg demo`: the main job without a display (src/main/demo). Builds a small dataset, trains a
 * `tiny` (or `quick`) run, exports and evaluates it, saves thresholds at IAP@90 and writes the
 * reports, all in --out (default: demo/ in the data folder). Progress goes to stderr; stdout gets
 * readable lines, or with --json one line {"out", "dataset", "db", "run_id", "run_dir", "model",
 * "evaluation_id", "metrics", "thresholds", "teacher", "reports"}.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { UserError } from '../../../common/ipc/errors'
import { defaultDataDir, sharedDir } from '../../config/paths'
import { DEMO_PRESETS, runDemo, type DemoSummary } from '../../demo/demo'
import { resolveTeacher } from '../../demo/teacher-source'
import { parseChoice, UsageError, userPath, type CliCommand } from './common'

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'the whole job on a generated dataset: train (tiny), export ONNX, evaluate, thresholds at IAP@90, PDF/HTML/CSV/JSON reports',
  usage: '[--out <dir>] [--preset tiny|quick] [--teacher <resnet18.pth>] [--download-teacher] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        preset: { type: 'string' },
        teacher: { type: 'string' },
        'download-teacher': { type: 'boolean' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if (values.teacher !== undefined && values['download-teacher']) throw new UsageError('--teacher and --download-teacher exclude each other')
    const preset = parseChoice(values.preset, DEMO_PRESETS, 'preset') ?? 'tiny'
    const dataDir = defaultDataDir()
    const out = values.out !== undefined ? userPath(values.out) : join(dataDir, 'demo')
    const log = (line: string): void => void process.stderr.write(`${line}\n`)

    const controller = new AbortController()
    const onInterrupt = (): void => controller.abort(new UserError('Interrupted: the demo run was cancelled (resumable from the Runs page).', 'CANCELLED'))
    process.once('SIGINT', onInterrupt)
    try {
      const teacher = await resolveTeacher({
        teacherFile: values.teacher !== undefined ? userPath(values.teacher) : undefined,
        download: values['download-teacher'],
        sharedDir: sharedDir(),
        dataDir,
        log,
        signal: controller.signal
      })
      const summary = await runDemo({ out, preset, teacher, log, signal: controller.signal })
      if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`)
      else console.log(summaryLines(summary).join('\n'))
      return 0
    } finally {
      process.off('SIGINT', onInterrupt)
    }
  }
}

function summaryLines(s: DemoSummary): string[] {
  const v = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(4))
  const m = s.metrics
  return [
    `Demo done (run ${s.run_id}, ${m.images} test images, ${m.instances} defect instances):`,
    `  image AUROC ${v(m.image_auroc)}, pixel AUROC ${v(m.pixel_auroc)}, pixel AP ${v(m.pixel_ap)}, IAP ${v(m.iap)}, IAP@90 ${v(m.iap90)}, AUPRO ${v(m.aupro)}`,
    `  thresholds (saved, "demo: IAP@90"): pixel ${s.thresholds.pixel.toPrecision(6)}, image ${s.thresholds.image.toPrecision(6)}`,
    `  teacher   ${s.teacher}`,
    `  dataset   ${s.dataset}`,
    `  database  ${s.db}`,
    `  run       ${s.run_dir}`,
    `  model     ${s.model}`,
    `  PDF       ${s.reports.pdf}`,
    `  HTML      ${s.reports.html}`,
    `  CSV       ${s.reports.csv}`,
    `  JSON      ${s.reports.json}`,
    `Open the workstation on it: npm run serve -- --db ${s.db} --data-dir ${s.out}`
  ]
}
