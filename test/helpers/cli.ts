/** Running the CLI (and other commands) as a user does: a child process in the repository root. */
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'

/** The repository root (absolute). */
export const projectRoot = resolve(__dirname, '../..')
const tsx = join(projectRoot, 'node_modules/.bin/tsx')

/** How a child process ended: its exit code (0 on success) and everything it printed. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs `command` in the repository root; `env`, when given, is merged over process.env. */
export function runCommand(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: projectRoot, maxBuffer: 1 << 26, ...(env ? { env: { ...process.env, ...env } } : {}) },
      (err, stdout, stderr) => {
        done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })
      }
    )
  })
}

/** `destseg <args>` through tsx, as a user runs it. */
export function destseg(...args: string[]): Promise<CliRun> {
  return runCommand(tsx, ['src/main/cli/destseg.ts', ...args])
}

/** `destseg <args>` with `env` merged over process.env. */
export function destsegWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  return runCommand(tsx, ['src/main/cli/destseg.ts', ...args], env)
}
