/** `destseg export` argument handling as a user runs it (tsx child process); the export itself is in onnx-export.test.ts. */
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDirs } from '../../helpers/fixtures'

const tempDir = tempDirs()
const projectRoot = resolve(__dirname, '../../..')
const tsx = join(projectRoot, 'node_modules/.bin/tsx')

function destseg(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(tsx, ['src/main/cli/destseg.ts', ...args], { cwd: projectRoot }, (err, stdout, stderr) => {
      done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })
    })
  })
}

describe('destseg export', () => {
  it('needs --run (usage, exit 2) and refuses a folder that is not a run (JSON error, exit 1)', async () => {
    const [missing, notRun] = await Promise.all([destseg('export', '--json'), destseg('export', '--run', tempDir(), '--json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/--run is required[\s\S]*Usage: destseg export --run <run folder> \[--out <file.onnx>\] \[--json\]/)
    expect(notRun.code).toBe(1)
    expect(JSON.parse(notRun.stdout)).toMatchObject({ error: { name: 'UserError', code: 'NOT_FOUND' } })
  }, 30_000)
})
