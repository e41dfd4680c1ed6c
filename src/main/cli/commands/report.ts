/**
 * `destseg report`: a run's (its latest evaluation) or a category's (its latest evaluation and its
 * runs) report as PDF, self-contained HTML, or per-image CSV / JSON, written to --out. Prints where
 * it wrote; with --json one line {"out", "format", "bytes"}.
 */
import { statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { REPORT_FORMATS, type ReportFormat, type ReportTarget } from '../../../common/types/reports'
import { writeReportFile } from '../../reports'
import { dbOption, openStore, parseChoice, parseId, UsageError, userPath, type CliCommand } from './common'

export const reportCommand: CliCommand = {
  name: 'report',
  summary: "export a run's or a category's report: PDF, self-contained HTML, or per-image CSV / JSON",
  usage: '--run <id> | --category <id> --format pdf|html|csv|json --out <file> [--db <file>] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        run: { type: 'string' },
        category: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        ...dbOption,
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if ((values.run === undefined) === (values.category === undefined)) throw new UsageError('give exactly one of --run <id> and --category <id>')
    const format = parseChoice<ReportFormat>(values.format, REPORT_FORMATS, 'format')
    if (format === undefined) throw new UsageError(`--format is required (${REPORT_FORMATS.join(', ')})`)
    if (!values.out) throw new UsageError('--out <file> is required')
    const target: ReportTarget = values.run !== undefined ? { run_id: parseId(values.run, 'run') } : { category_id: parseId(values.category, 'category') }
    const out = userPath(values.out)
    const store = openStore(values.db)
    try {
      await writeReportFile(store.db, target, format, out)
    } finally {
      store.close()
    }
    const bytes = statSync(out).size
    if (values.json) process.stdout.write(`${JSON.stringify({ out, format, bytes })}\n`)
    else console.log(`Wrote the ${format.toUpperCase()} report to ${out} (${bytes} bytes).`)
    return 0
  }
}
