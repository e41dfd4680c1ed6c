/** The CLI as a user runs it: a tsx child process, exit codes, one JSON object on stdout. */
import Database from 'better-sqlite3'
import { cpSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requireShared } from '../../src/main/config/paths'
import { destseg } from '../helpers/cli'
import { dumpDatabase, makeMvtecCategory, tempDirs } from '../helpers/fixtures'
import { writeImage, writeMask } from '../helpers/images'

const tempDir = tempDirs()

function dumpFile(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true })
  try {
    return dumpDatabase(db)
  } finally {
    db.close()
  }
}

describe('destseg CLI', () => {
  it('prints help, and usage with exit 2 for an unknown command or option', async () => {
    const [help, unknown, badOption] = await Promise.all([
      destseg('help'),
      destseg('frobnicate'),
      destseg('import', '--bogus')
    ])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/import .*\n.*datasets/s)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown command: frobnicate[\s\S]*Usage: destseg <command>/)
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toMatch(/Usage: destseg import <folder>/)
  })

  it('imports a folder as one JSON object and lists datasets', async () => {
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root)
    const db = join(tempDir(), 'app.sqlite')
    const run = await destseg('import', root, '--db', db, '--json')
    expect(run.code).toBe(0)
    const outcome = JSON.parse(run.stdout)
    expect(outcome).toMatchObject({
      dataset_id: 1,
      categories: [
        { name: 'bottle', train_good: 4, test_good: 2, test_anomalous: 3, masks: 3, defect_types: ['crack', 'hole'] }
      ],
      rejected: []
    })
    expect(run.stderr).toMatch(/Checking images/)

    const again = await destseg('import', root, '--db', db, '--json')
    expect(again.code).toBe(1)
    expect(JSON.parse(again.stdout)).toMatchObject({ dataset_id: null, existing_dataset_id: 1 })

    const list = await destseg('datasets', '--db', db, '--json')
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).datasets).toMatchObject([
      { id: 1, name: 'bottle', categories: [{ train_good: 4, masks: 3 }] }
    ])
    const text = await destseg('datasets', '--db', db)
    expect(text.stdout).toMatch(/bottle: train\/good 4, test\/good 2, test\/anomalous 3 \(crack, hole\), masks 3/)

    const missing = await destseg('import', join(root, 'nope'), '--db', db, '--json')
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout).error.message).toMatch(/Folder not found/)
  })

  it('imports textures, and skips rejected files on request', async () => {
    const textures = join(tempDir(), 'dtd')
    await writeImage(join(textures, 'banded', 'a.jpg'))
    await writeImage(join(textures, 'dotted', 'b.png'))
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root)
    const orphan = join(root, 'ground_truth/crack/099_mask.png')
    await writeMask(orphan)
    const [tex, skipped, text] = await Promise.all([
      destseg('import', textures, '--textures', '--db', join(tempDir(), 'a.sqlite'), '--json'),
      destseg('import', root, '--skip-rejected', '--db', join(tempDir(), 'b.sqlite'), '--json'),
      destseg('import', root, '--db', join(tempDir(), 'c.sqlite'))
    ])
    expect(tex.code).toBe(0)
    expect(JSON.parse(tex.stdout)).toMatchObject({ texture_source_id: 1, images: 2, classes: ['banded', 'dotted'] })
    expect(skipped.code).toBe(0)
    expect(JSON.parse(skipped.stdout)).toMatchObject({ dataset_id: 1, rejected: [{ path: orphan }] })
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(
      /Nothing imported: 1 file rejected[\s\S]*Rejected \(1\):\n  .*099_mask\.png: mask without an image/
    )
  })

  it('acceptance: a copy of magnetic-tile with a corrupt PNG and an orphan mask imports nothing', async () => {
    const source = requireShared('datasets/magnetic-tile')
    const copy = join(tempDir(), 'magnetic-tile')
    cpSync(source, copy, { recursive: true })
    const maskDir = join(copy, 'ground_truth/break')
    const someMask = join(maskDir, readdirSync(maskDir)[0])
    const corrupt = join(copy, 'test/break/corrupt.png')
    writeFileSync(corrupt, readFileSync(someMask).subarray(0, 200))
    const orphan = join(copy, 'ground_truth/blowhole/no_such_image_mask.png')
    copyFileSync(someMask, orphan)

    const db = join(tempDir(), 'app.sqlite')
    const seed = join(tempDir(), 'seed')
    await makeMvtecCategory(seed, { defects: {} })
    expect((await destseg('import', seed, '--db', db, '--json')).code).toBe(0)
    const before = dumpFile(db)

    const started = performance.now()
    const run = await destseg('import', copy, '--db', db, '--json')
    console.log(`CLI import of the damaged magnetic-tile copy: ${((performance.now() - started) / 1000).toFixed(2)} s`)
    expect(run.code).not.toBe(0)
    const outcome = JSON.parse(run.stdout)
    expect(outcome.dataset_id).toBeNull()
    expect(outcome.rejected).toEqual([
      {
        path: orphan,
        reason: expect.stringMatching(/^mask without an image: no image .*test\/blowhole\/no_such_image\.\* found$/)
      },
      { path: corrupt, reason: expect.stringMatching(/^unreadable or corrupt image: /) }
    ])
    expect(outcome.categories[0]).toMatchObject({ train_good: 400, test_good: 80, test_anomalous: 200, masks: 200 })
    expect(dumpFile(db)).toEqual(before)
  })
})
