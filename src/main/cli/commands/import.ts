import { parseArgs } from 'node:util'
import {
  dbOption,
  interruptSignal,
  openStore,
  printJson,
  stderrProgress,
  UsageError,
  userPath,
  type CliCommand
} from './common'
import { formatCategory, formatRejected } from './format'

/** `destseg import <folder>`: a dataset (MVTec AD or plain layout) or, with --textures, a texture folder. */
export const importCommand: CliCommand = {
  name: 'import',
  summary: 'import a dataset folder (MVTec AD or plain layout), or a texture folder with --textures',
  usage: '<folder> [--db <file>] [--name <name>] [--skip-rejected] [--textures] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...dbOption,
        name: { type: 'string' },
        'skip-rejected': { type: 'boolean' },
        textures: { type: 'boolean' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length !== 1) throw new UsageError('expected exactly one folder')
    const request = { folder: userPath(positionals[0]), name: values.name, skipRejected: values['skip-rejected'] }
    const store = openStore(values.db)
    try {
      const progress = stderrProgress()
      const signal = interruptSignal()
      if (values.textures) {
        const outcome = await store.textures.import(request, progress, signal)
        if (values.json) printJson(outcome)
        else console.log([outcome.message, ...formatRejected(outcome.rejected)].join('\n'))
        return outcome.texture_source_id === null ? 1 : 0
      }
      const outcome = await store.datasets.import(request, progress, signal)
      if (values.json) printJson(outcome)
      else {
        const lines = [outcome.message, ...outcome.categories.map(formatCategory), ...formatRejected(outcome.rejected)]
        console.log(lines.join('\n'))
      }
      return outcome.dataset_id === null ? 1 : 0
    } finally {
      store.close()
    }
  }
}
