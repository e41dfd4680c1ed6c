import { parseArgs } from 'node:util'
import {
  dbOption,
  interruptSignal,
  openStore,
  parseId,
  printJson,
  stderrProgress,
  UsageError,
  type CliCommand
} from './common'
import { formatCategory, formatRejected } from './format'

/** `destseg rescan <dataset-id>`: pick up added, removed and changed files. */
export const rescanCommand: CliCommand = {
  name: 'rescan',
  summary: 're-read a dataset folder: added, removed and changed files',
  usage: '<dataset-id> [--db <file>] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...dbOption, json: { type: 'boolean' } }
    })
    if (positionals.length !== 1) throw new UsageError('expected exactly one dataset id')
    const store = openStore(values.db)
    try {
      const outcome = await store.datasets.rescan(
        parseId(positionals[0], 'dataset'),
        stderrProgress(),
        interruptSignal()
      )
      if (values.json) printJson(outcome)
      else
        console.log(
          [outcome.message, ...outcome.categories.map(formatCategory), ...formatRejected(outcome.rejected)].join('\n')
        )
      return outcome.rejected.length > 0 ? 1 : 0
    } finally {
      store.close()
    }
  }
}
