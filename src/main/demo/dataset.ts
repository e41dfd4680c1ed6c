/**
 * The demo's dataset, made on the spot (no download): one MVTec-layout category of washers
 * (parts.ts) with two drawn defect types and their exact masks, and a folder of procedural
 * anomaly-source textures. Seeded and deterministic: the same spec writes the same pixels.
 *
 *   <root>/washer/train/good/000.png ...            normal parts
 *   <root>/washer/test/good/000.png ...
 *   <root>/washer/test/<defect>/000.png ...          scratch, stain
 *   <root>/washer/ground_truth/<defect>/000_mask.png 0/255, exactly the drawn pixels
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { Random } from '../engine/random'
import { DEFECT_KINDS, drawDefect, renderPart, renderTexture, TEXTURE_KINDS, type DefectKind } from './parts'

export interface DemoDatasetSpec {
  /** image side in pixels */
  size: number
  trainGood: number
  testGood: number
  /** test images (each with a mask) per defect type */
  perDefect: number
  seed: number
}

/**
 * Small enough that the `tiny` demo (training, ONNX export, evaluation) takes a few minutes on two
 * cores, large enough for `quick` to learn the part: 40 + 10 normal, 2 x 8 defective at 128 px.
 */
export const DEMO_DATASET: Readonly<DemoDatasetSpec> = { size: 128, trainGood: 40, testGood: 10, perDefect: 8, seed: 0 }

/** The category's folder name (and so its name in the workstation). */
export const DEMO_CATEGORY = 'washer'

/** The split an image belongs to: its own random stream, so one image never shifts another. */
export type DemoSplit = 'train/good' | 'test/good' | `test/${DefectKind}`

export interface DemoImage {
  /** RGB [size, size, 3] */
  image: Uint8Array
  /** [size, size] 0/255 for a defect image; null for a normal one */
  mask: Uint8Array | null
  /** the part before its defect was drawn (the same array as `image` for a normal one) */
  clean: Uint8Array
}

const SPLIT_STREAMS: Record<DemoSplit, number> = { 'train/good': 1, 'test/good': 2, 'test/scratch': 3, 'test/stain': 4 }

/** Image `index` of a split: a part, and for a defect split the defect drawn on it. */
export function demoImage(spec: Pick<DemoDatasetSpec, 'size' | 'seed'>, split: DemoSplit, index: number): DemoImage {
  const rng = new Random(spec.seed, SPLIT_STREAMS[split] * 100_003 + index)
  const part = renderPart(rng, spec.size)
  if (split === 'train/good' || split === 'test/good') return { image: part.image, mask: null, clean: part.image }
  const clean = part.image.slice()
  const mask = drawDefect(split.slice('test/'.length) as DefectKind, rng, part)
  return { image: part.image, mask, clean }
}

const stem = (i: number): string => String(i).padStart(3, '0')

async function writePng(path: string, data: Uint8Array, size: number, channels: 1 | 3): Promise<void> {
  const raw = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width: size, height: size, channels } })
  // a mask stays one channel (8-bit greyscale PNG, like MVTec's)
  await (channels === 1 ? raw.toColourspace('b-w') : raw).png().toFile(path)
}

export interface DemoDataset {
  /** the category folder (MVTec layout) */
  category: string
  images: number
  masks: number
}

/** Writes the category under `root` (root/washer/...); files already there are overwritten. */
export async function writeDemoDataset(root: string, spec: DemoDatasetSpec = DEMO_DATASET): Promise<DemoDataset> {
  const category = join(root, DEMO_CATEGORY)
  const jobs: { split: DemoSplit; count: number }[] = [
    { split: 'train/good', count: spec.trainGood },
    { split: 'test/good', count: spec.testGood },
    ...DEFECT_KINDS.map((d) => ({ split: `test/${d}` as DemoSplit, count: spec.perDefect }))
  ]
  let images = 0
  let masks = 0
  for (const { split, count } of jobs) {
    await mkdir(join(category, split), { recursive: true })
    const defect = split.startsWith('test/') && split !== 'test/good' ? split.slice('test/'.length) : null
    if (defect) await mkdir(join(category, 'ground_truth', defect), { recursive: true })
    for (let i = 0; i < count; i++) {
      const { image, mask } = demoImage(spec, split, i)
      await writePng(join(category, split, `${stem(i)}.png`), image, spec.size, 3)
      images++
      if (defect && mask) {
        await writePng(join(category, 'ground_truth', defect, `${stem(i)}_mask.png`), mask, spec.size, 1)
        masks++
      }
    }
  }
  return { category, images, masks }
}

/** Writes `perKind` textures of each kind: dir/<kind>/<kind>_00.png (128 px), seeded. */
export async function writeDemoTextures(dir: string, seed = 0, perKind = 2, size = 128): Promise<number> {
  let n = 0
  for (const [k, kind] of TEXTURE_KINDS.entries()) {
    await mkdir(join(dir, kind), { recursive: true })
    for (let i = 0; i < perKind; i++) {
      const rng = new Random(seed, 900_001 + k * 100 + i)
      await writePng(join(dir, kind, `${kind}_${String(i).padStart(2, '0')}.png`), renderTexture(rng, kind, size), size, 3)
      n++
    }
  }
  return n
}
