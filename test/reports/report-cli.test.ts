/** `destseg report` as a user runs it (a tsx child process) against the review fixture's database. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { destseg } from '../helpers/cli'
import { tempDirs } from '../helpers/fixtures'
import { makeReviewFixture } from '../services/review-fixture'

const tempDir = tempDirs()

let root: string
let dbPath: string
let categoryId: number

beforeAll(async () => {
  root = tempDir()
  const fx = await makeReviewFixture(root)
  categoryId = fx.categoryId
  dbPath = fx.db.name
  fx.db.close()
}, 60_000)

describe('destseg report', () => {
  it('writes a category CSV and prints one JSON line', async () => {
    const out = join(root, 'report.csv')
    const run = await destseg('report', '--category', String(categoryId), '--format', 'csv', '--out', out, '--db', dbPath, '--json')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const printed = JSON.parse(lines[0]) as { out: string; format: string; bytes: number }
    expect(printed).toMatchObject({ out, format: 'csv' })
    const csv = readFileSync(out, 'utf8')
    expect(printed.bytes).toBe(Buffer.byteLength(csv))
    expect(csv.trim().split('\r\n')).toHaveLength(1 + 5)
  }, 60_000)

  it('refuses a bad format (usage, 2) and an unknown run (1, with the reason)', async () => {
    const bad = await destseg('report', '--category', String(categoryId), '--format', 'docx', '--out', join(root, 'x.docx'), '--db', dbPath)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--format must be one of pdf, html, csv, json, got docx')
    const unknown = await destseg('report', '--run', '77', '--format', 'pdf', '--out', join(root, 'x.pdf'), '--db', dbPath, '--json')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('Run 77 does not exist.')
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } })
  }, 60_000)
})
