/** `destseg export` argument handling as a user runs it (tsx child process); the export itself is in onnx-export.test.ts. */
import { describe, expect, it } from 'vitest'
import { destseg } from '../../helpers/cli'
import { tempDirs } from '../../helpers/fixtures'

const tempDir = tempDirs()

describe('destseg export', () => {
  it('needs --run (usage, exit 2) and refuses a folder that is not a run (JSON error, exit 1)', async () => {
    const [missing, notRun] = await Promise.all([destseg('export', '--json'), destseg('export', '--run', tempDir(), '--json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/--run is required[\s\S]*Usage: destseg export --run <run folder> \[--out <file.onnx>\] \[--json\]/)
    expect(notRun.code).toBe(1)
    expect(JSON.parse(notRun.stdout)).toMatchObject({ error: { name: 'UserError', code: 'NOT_FOUND' } })
  }, 30_000)
})
