import type Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { TextureService } from '../../src/main/datasets/dataset-service'
import { openDatabase } from '../../src/main/store/db'
import { listTextures } from '../../src/main/store/repositories/textures.repo'
import { dumpDatabase, tempDirs } from '../helpers/fixtures'
import { writeImage } from '../helpers/images'

const tempDir = tempDirs()
let db: Database.Database
let service: TextureService

beforeEach(() => {
  const dir = tempDir()
  db = openDatabase(join(dir, 'app.sqlite'))
  service = new TextureService(db, { dataDir: dir })
  return () => db.close()
})

async function makeTextures(root: string): Promise<void> {
  await writeImage(join(root, 'banded', 'a.jpg'))
  await writeImage(join(root, 'banded', 'deeper', 'b.png'), { seed: 1 })
  await writeImage(join(root, 'dotted', 'c.bmp'), { seed: 2 })
  await writeImage(join(root, 'top.tiff'), { seed: 3, channels: 1 })
  writeFileSync(join(root, 'LICENSE.txt'), 'ignored')
}

describe('textures', () => {
  it('imports a folder recursively, class = first subfolder', async () => {
    const root = join(tempDir(), 'dtd')
    await makeTextures(root)
    const outcome = await service.import({ folder: root })
    expect(outcome).toMatchObject({ images: 4, classes: ['', 'banded', 'dotted'], rejected: [] })
    const id = outcome.texture_source_id!
    expect(listTextures(db, id).map((t) => [t.rel_path, t.class])).toEqual([
      ['banded/a.jpg', 'banded'],
      ['banded/deeper/b.png', 'banded'],
      ['dotted/c.bmp', 'dotted'],
      ['top.tiff', '']
    ])
    expect(service.list()).toEqual([
      { id, name: 'dtd', root, images: 4, classes: ['', 'banded', 'dotted'], created_at: expect.any(String) }
    ])

    const before = dumpDatabase(db)
    const again = await service.import({ folder: root })
    expect(again).toMatchObject({ texture_source_id: null, existing_texture_source_id: id })
    expect(dumpDatabase(db)).toEqual(before)

    service.remove(id)
    expect(service.list()).toEqual([])
    expect(() => service.remove(id)).toThrow('not found')
  })

  it('is all or nothing, unless skipRejected', async () => {
    const root = join(tempDir(), 'dtd')
    await makeTextures(root)
    writeFileSync(join(root, 'dotted', 'empty.png'), '')
    writeFileSync(join(root, 'dotted', 'bad.jpg'), 'garbage')
    const before = dumpDatabase(db)
    const outcome = await service.import({ folder: root })
    expect(outcome.texture_source_id).toBeNull()
    expect(outcome.rejected).toEqual([
      { path: join(root, 'dotted', 'bad.jpg'), reason: expect.stringMatching(/unsupported image format|corrupt/) },
      { path: join(root, 'dotted', 'empty.png'), reason: 'empty file (0 bytes)' }
    ])
    expect(dumpDatabase(db)).toEqual(before)
    const skipped = await service.import({ folder: root, skipRejected: true })
    expect(skipped).toMatchObject({ images: 4, rejected: [{}, {}] })
    expect(skipped.texture_source_id).toBeTypeOf('number')
  })

  it('throws UserError for a missing or empty folder', async () => {
    await expect(service.import({ folder: join(tempDir(), 'nope') })).rejects.toThrow(/Folder not found/)
    await expect(service.import({ folder: tempDir() })).rejects.toThrow(/No images/)
  })
})
