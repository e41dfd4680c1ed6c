/**
 * Deterministic prediction maps for a category's test split, made from a seed, so CI regenerates
 * the exact inputs that test/fixtures/metrics/make_metrics_fixture.py evaluated with sklearn, scipy
 * and PyTorch once. Two kinds:
 *   random        per image i (test images sorted by relative path), three shapes in turn:
 *                 i % 3 == 0  64x64 uniform noise (upsampled by the protocol),
 *                 i % 3 == 1  256x256, floor(8 * (u + 0.5 * gt)) / 8: few distinct values, many ties,
 *                 i % 3 == 2  300x180 uniform noise (downsampled in height, upsampled in width);
 *   near-perfect  128x128: 0.5 * (2x2 mean of the 256x256 ground truth) + 0.2 * (u1 + u2 + u3).
 * The uniforms come from Random(seed, i).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { mapPathOf } from '../../../src/main/engine/evaluation/map-folder'
import type { TestImage } from '../../../src/main/engine/evaluation/test-split'
import { EVAL_SIZE } from '../../../src/main/engine/metrics'
import { Random } from '../../../src/main/engine/random'

export type MapKind = 'random' | 'near-perfect'
export const MAP_KINDS: readonly MapKind[] = ['random', 'near-perfect']

/** A map [height * width] row-major. */
export interface SyntheticMap {
  data: Float32Array
  height: number
  width: number
}

/** The map of test image number `index` with protocol ground truth `gt` ([256*256] 0/1 or null). */
export function syntheticMap(kind: MapKind, seed: number, index: number, gt: Uint8Array | null): SyntheticMap {
  const random = new Random(seed, index)
  const fill = (height: number, width: number, value: (i: number) => number): SyntheticMap => {
    const data = new Float32Array(height * width)
    for (let i = 0; i < data.length; i++) data[i] = value(i)
    return { data, height, width }
  }
  const truth = (i: number): number => (gt ? gt[i] : 0)
  if (kind === 'random') {
    if (index % 3 === 0) return fill(64, 64, () => random.next())
    if (index % 3 === 1) return fill(EVAL_SIZE, EVAL_SIZE, (i) => Math.floor(8 * (random.next() + 0.5 * truth(i))) / 8)
    return fill(300, 180, () => random.next())
  }
  const half = EVAL_SIZE / 2
  return fill(half, half, (i) => {
    const y = Math.floor(i / half) * 2
    const x = (i % half) * 2
    const mean = (truth(y * EVAL_SIZE + x) + truth(y * EVAL_SIZE + x + 1) + truth((y + 1) * EVAL_SIZE + x) + truth((y + 1) * EVAL_SIZE + x + 1)) / 4
    return 0.5 * mean + 0.2 * (random.next() + random.next() + random.next())
  })
}

/** .npy bytes (version 1.0, '<f4', C order) of a 2-D map. */
export function npyBytes(map: SyntheticMap): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${map.height}, ${map.width}), }`
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length + map.data.byteLength)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(new Uint8Array(map.data.buffer, map.data.byteOffset, map.data.byteLength), 10 + header.length)
  return out
}

/** Writes <outDir>/<defect>/<stem>.npy for every image (sorted by relPath, as listTestImages returns them). */
export function writeSyntheticMaps(
  kind: MapKind,
  seed: number,
  images: TestImage[],
  truths: (Uint8Array | null)[],
  outDir: string
): void {
  images.forEach((image, index) => {
    const path = mapPathOf(outDir, image)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, npyBytes(syntheticMap(kind, seed, index, truths[index])))
  })
}
