import { parseArgs } from 'node:util'
import { dbOption, openStore, printJson, type CliCommand } from './common'
import { formatCategory } from './format'

/** `destseg datasets`: the imported datasets with per-category counts. */
export const datasetsCommand: CliCommand = {
  name: 'datasets',
  summary: 'list imported datasets with their counts',
  usage: '[--db <file>] [--json]',
  async run(args) {
    const { values } = parseArgs({ args, options: { ...dbOption, json: { type: 'boolean' } } })
    const store = openStore(values.db)
    try {
      const datasets = store.datasets.list()
      if (values.json) printJson({ datasets })
      else if (datasets.length === 0) console.log('No datasets.')
      else {
        for (const d of datasets) {
          console.log(`${d.id}  ${d.name}  (${d.layout}, ${d.root})`)
          for (const c of d.categories) console.log(formatCategory(c))
        }
      }
      return 0
    } finally {
      store.close()
    }
  }
}
