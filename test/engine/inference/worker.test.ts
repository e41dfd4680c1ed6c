/**
 * The inference worker round trip on a real exported DeSTSeg: a tiny run folder (32 px, random
 * teacher, freshly initialised nets; the exporter's run fixture) exported on the fly by the `infer`
 * CLI command, then served by an InferenceClient (worker thread + decoding thread): map sizes and
 * original-size maps. (The model has full-size weights, about 140 MB, whatever the input size, so
 * exporting and loading it dominate this file's time.)
 */
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { inferCommand } from '../../../src/main/cli/commands/infer'
import { InferenceClient } from '../../../src/main/engine/inference/client'
import { resolveModelFile } from '../../../src/main/engine/inference/model-file'
import { SCORE_MAP_SIZE } from '../../../src/main/engine/inference/types'
import { tempDirs } from '../../helpers/fixtures'
import { writeImage } from '../../helpers/images'
import { makeRunFolder } from '../exporter/run-fixture'

const tempDir = tempDirs()
const SIZE = 32
let runDir: string
let imageDir: string
let images: string[]
let client: InferenceClient

beforeAll(async () => {
  runDir = join(tempDir(), 'run-tiny')
  mkdirSync(runDir)
  makeRunFolder(runDir, { size: SIZE, teacher: { kind: 'random', seed: 1 } }).model.dispose()
  imageDir = join(tempDir(), 'images')
  const sizes: [number, number][] = [
    [40, 30],
    [16, 24],
    [50, 50]
  ]
  images = []
  for (const [i, [width, height]] of sizes.entries()) {
    const path = join(imageDir, `img${i}.png`)
    await writeImage(path, { width, height, seed: 3 + i })
    images.push(path)
  }
}, 60_000)

afterAll(async () => {
  await client?.close()
})

/** What `destseg infer --json` printed. */
let cliLines: Record<string, unknown>[] = []

describe('destseg infer', () => {
  it('exports a run folder without model.onnx on the fly, prints a JSON line per image, then a summary', async () => {
    expect(existsSync(join(runDir, 'model.onnx'))).toBe(false)
    const out: string[] = []
    const errors: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk))
      return true
    })
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk))
      return true
    })
    let code: number
    try {
      code = await inferCommand.run(['--model', runDir, imageDir, '--batch', '2', '--threads', '1', '--json'])
    } finally {
      write.mockRestore()
      err.mockRestore()
    }
    expect(code).toBe(0)
    expect(errors.join('')).toContain(`exporting ${runDir} to ONNX`)
    cliLines = out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(cliLines).toHaveLength(images.length + 1)
    expect(cliLines.slice(0, images.length).map((l) => Object.keys(l))).toEqual(images.map(() => ['path', 'score']))
    expect(cliLines.slice(0, images.length).map((l) => l.path)).toEqual(images)
    const summary = cliLines[images.length]
    expect(summary).toMatchObject({ images: 3, provider: 'cpu', threads: 1, batch: 2, top_t: 100, model: join(runDir, 'model.onnx') })
    expect(summary.ms_per_image).toBeGreaterThan(0)
  }, 60_000)
})

describe('InferenceClient on the exported tiny run', () => {
  it('returns maps of the right sizes and original-size maps of the original size; scores as the CLI printed', async () => {
    const resolved = await resolveModelFile(runDir)
    expect(resolved).toEqual({ file: join(runDir, 'model.onnx'), exported: false })
    client = await InferenceClient.open(resolved.file, { batch: 2, intraOpNumThreads: 1 })
    expect(client.info).toMatchObject({ provider: 'cpu', inputSize: SIZE, mapSize: SIZE / 4, batch: 2, threads: 1 })
    expect(client.info.metadata['destseg.run_id']).toBe('run-tiny')
    const results = await client.infer(images, { originalSize: true })
    expect(results.map((r) => [r.path, r.width, r.height])).toEqual([
      [images[0], 40, 30],
      [images[1], 16, 24],
      [images[2], 50, 50]
    ])
    for (const r of results) {
      expect(r.mapSize).toBe(SIZE / 4)
      expect(r.map).toBeInstanceOf(Float32Array)
      expect(r.map).toHaveLength((SIZE / 4) ** 2)
      expect(r.map256).toHaveLength(SCORE_MAP_SIZE ** 2)
      expect(r.mapOriginal).toHaveLength(r.width * r.height)
      expect(r.map.every((v) => v >= 0 && v <= 1)).toBe(true)
      expect(r.score).toBeGreaterThan(0)
      expect(r.score).toBeLessThan(1)
    }
    expect(results.map((r) => r.score)).toEqual(cliLines.slice(0, images.length).map((l) => l.score))
  }, 30_000)
})

describe('a run folder whose model.onnx no longer matches it', () => {
  it('is exported again when config.json changed or the weights are newer than the model', async () => {
    const model = join(runDir, 'model.onnx')
    expect(await resolveModelFile(runDir)).toEqual({ file: model, exported: false })
    const config = join(runDir, 'config.json')
    writeFileSync(config, `${readFileSync(config, 'utf8').trim()}\n\n`) // other bytes, other config_sha256
    expect(await resolveModelFile(runDir)).toEqual({ file: model, exported: true })
    expect(await resolveModelFile(runDir)).toEqual({ file: model, exported: false })
    const earlier = new Date(statSync(join(runDir, 'seg.bin')).mtimeMs - 60_000)
    utimesSync(model, earlier, earlier) // as if the weights had been written after the export
    expect(await resolveModelFile(runDir)).toEqual({ file: model, exported: true })
    expect(await resolveModelFile(runDir)).toEqual({ file: model, exported: false })
  }, 60_000)
})
