import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { requireShared } from '../../config/paths'
import { textureImages, trainingImages } from '../../engine/data/files'
import { Random } from '../../engine/random'
import {
  AnomalySynthesizer,
  NORMAL_AUGMENTATIONS,
  OPACITY_MODES,
  TEXTURE_COLOURS,
  type NormalAugmentation,
  type OpacityMode,
  type SyntheticSample,
  type TextureColour
} from '../../engine/synthesis/anomaly-synthesizer'
import { floatToUint8, loadRgb8, rgb8ToFloat } from '../../engine/synthesis/image-ops'
import { DEFAULT_TEXTURES, intAtLeast, parseChoice, parseNumber, printJson, UsageError, userPath, type CliCommand } from './common'

/** Pixels between tiles, and their grey level. */
const GAP = 4
const GAP_VALUE = 40

/** Rows of (I_n, I_a, M) tiles as one RGB uint8 image. */
function gridImage(samples: SyntheticSample[], size: number): { data: Buffer; width: number; height: number } {
  const columns = 3
  const width = columns * size + (columns + 1) * GAP
  const height = samples.length * size + (samples.length + 1) * GAP
  const data = Buffer.alloc(width * height * 3, GAP_VALUE)
  const put = (tile: Uint8Array, channels: number, row: number, column: number) => {
    const top = GAP + row * (size + GAP)
    const left = GAP + column * (size + GAP)
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const o = ((top + y) * width + left + x) * 3
        const s = (y * size + x) * channels
        data[o] = tile[s]
        data[o + 1] = tile[s + (channels === 3 ? 1 : 0)]
        data[o + 2] = tile[s + (channels === 3 ? 2 : 0)]
      }
    }
  }
  samples.forEach((sample, row) => {
    put(floatToUint8(sample.normal), 3, row, 0)
    put(floatToUint8(sample.anomalous), 3, row, 1)
    put(floatToUint8(sample.mask), 1, row, 2)
  })
  return { data, width, height }
}

/** `destseg synth-grid`: a PNG of synthetic anomalies for a dataset category, to check the synthesis by eye. */
export const synthGridCommand: CliCommand = {
  name: 'synth-grid',
  summary: 'write a PNG grid of synthetic anomalies (normal, synthetic, mask) for a dataset category',
  usage:
    '--dataset <category folder> --out <file.png> [--textures <folder>] [--size 256] [--count 6] [--seed N] ' +
    '[--opacity reference|paper] [--augment none|rotate|rotate90] [--texture-colour as_is|match] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        dataset: { type: 'string' },
        textures: { type: 'string' },
        size: { type: 'string' },
        count: { type: 'string' },
        seed: { type: 'string' },
        opacity: { type: 'string' },
        augment: { type: 'string' },
        'texture-colour': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if (!values.dataset) throw new UsageError('--dataset is required')
    if (!values.out) throw new UsageError('--out is required')
    const inRange = (max: number) => (n: number) => intAtLeast(1)(n) && n <= max
    const size = parseNumber(values.size, 'size', inRange(2048), 'an integer in 1..2048') ?? 256
    const count = parseNumber(values.count, 'count', inRange(64), 'an integer in 1..64') ?? 6
    const seed = parseNumber(values.seed, 'seed', intAtLeast(0), 'a non-negative integer') ?? 0
    const opacity = parseChoice<OpacityMode>(values.opacity, OPACITY_MODES, 'opacity') ?? 'reference'
    const augmentation = parseChoice<NormalAugmentation>(values.augment, NORMAL_AUGMENTATIONS, 'augment') ?? 'none'
    const textureColour = parseChoice<TextureColour>(values['texture-colour'], TEXTURE_COLOURS, 'texture-colour') ?? 'as_is'

    const textureDir = values.textures ? userPath(values.textures) : requireShared(DEFAULT_TEXTURES)
    const [images, textures] = await Promise.all([trainingImages(userPath(values.dataset)), textureImages(textureDir)])

    // images from their own stream, so the synthesis draws do not depend on the image count
    const chosen = new Random(seed, 1).shuffled(images).slice(0, count)
    const synthesizer = new AnomalySynthesizer({ size, textures, seed, opacity, augmentation, textureColour })
    const samples: SyntheticSample[] = []
    const started = performance.now()
    for (const path of chosen) {
      const normal = rgb8ToFloat(await loadRgb8(path, size, size))
      samples.push(await synthesizer.synthesize(normal))
    }
    const elapsed = performance.now() - started

    const grid = gridImage(samples, size)
    const out = userPath(values.out)
    await sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: 3 } })
      .png({ compressionLevel: 9 })
      .toFile(out)

    const rows = samples.map((s, i) => ({
      image: chosen[i],
      texture: s.texture,
      maskFraction: s.mask.reduce((a, v) => a + v, 0) / s.mask.length,
      ...s.draw
    }))
    if (values.json) printJson({ out, size, seed, opacity, augmentation, texture_colour: textureColour, rows, ms: Math.round(elapsed) })
    else {
      console.log(`wrote ${out}: ${rows.length} rows of (normal, synthetic, mask), ${grid.width}x${grid.height}`)
      for (const r of rows) {
        console.log(
          `  ${r.image.split('/').pop()} + ${r.texture.split('/').pop()}: perlin ${r.perlinScaleY}x${r.perlinScaleX} ` +
            `@${r.perlinAngle.toFixed(0)}deg, beta ${r.beta.toFixed(2)}, ` +
            `rotation ${r.quarterTurn}+${r.rotation.toFixed(1)}deg, ` +
            `mask ${(100 * r.maskFraction).toFixed(1)}%`
        )
      }
    }
    return 0
  }
}
