/**
 * The `destseg` command line: `npm run destseg -- <command> [options]`.
 * Add a command by writing a CliCommand in ./commands and listing it in COMMANDS.
 * Exit codes: 0 done, 1 failed or nothing imported, 2 bad usage.
 */
import { serializeError, UserError } from '../../common/ipc/errors'
import { UsageError, type CliCommand } from './commands/common'
import { datasetsCommand } from './commands/datasets'
import { importCommand } from './commands/import'
import { rescanCommand } from './commands/rescan'
import { synthGridCommand } from './commands/synth-grid'
import { benchCommand } from './commands/bench'
import { trainCommand } from './commands/train'
import { evaluateMapsCommand } from './commands/evaluate-maps'
import { exportCommand } from './commands/export'
import { inferCommand } from './commands/infer'
import { evaluateCommand } from './commands/evaluate'
import { demoCommand } from './commands/demo'
import { reportCommand } from './commands/report'

const COMMANDS: CliCommand[] = [importCommand, datasetsCommand, rescanCommand, synthGridCommand, trainCommand, benchCommand, exportCommand, inferCommand, evaluateCommand, evaluateMapsCommand, demoCommand, reportCommand]

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'Usage: destseg <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show this help, or a command's options: help <command>`,
    '',
    '--db <file> defaults to $DESTSEG_DB, else destseg.sqlite in the data folder. --json prints one JSON object on stdout.'
  ].join('\n')
}

const commandUsage = (c: CliCommand): string => `Usage: destseg ${c.name} ${c.usage}\n  ${c.summary}`

/** Parse errors from node:util parseArgs carry codes like ERR_PARSE_ARGS_UNKNOWN_OPTION. */
const isParseError = (err: unknown): err is Error =>
  err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const command = COMMANDS.find((c) => c.name === args[0])
    console.log(command ? commandUsage(command) : usage())
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    console.error(`Unknown command: ${name}\n\n${usage()}`)
    return 2
  }
  try {
    return await command.run(args)
  } catch (err) {
    if (err instanceof UsageError || isParseError(err)) {
      console.error(`${err.message}\n\n${commandUsage(command)}`)
      return 2
    }
    if (args.includes('--json')) console.log(JSON.stringify({ error: serializeError(err) }))
    console.error(err instanceof UserError ? `Error: ${err.message}` : err)
    return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err)
    process.exitCode = 1
  }
)
