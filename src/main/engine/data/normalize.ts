/**
 * ImageNet normalisation, the networks' input convention (METHOD.md: "ImageNet mean/std
 * normalisation, no crop"): x' = (x - mean_c) / std_c per RGB channel, x in [0, 1].
 * The one place these constants live; the trainer's data pipeline, inference and export use it.
 * No tfjs here, so data and inference workers stay light.
 */

/** torchvision's ImageNet channel means (R, G, B). */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406]
/** torchvision's ImageNet channel standard deviations (R, G, B). */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225]

/**
 * Normalises RGB values in place (plain arrays, for data-loading workers).
 * @param data [..., 3] float32 in [0, 1], channels last
 * @returns `data`
 */
export function normalizeImageNetInPlace(data: Float32Array): Float32Array {
  if (data.length % 3 !== 0) throw new Error(`normalizeImageNet: ${data.length} values is not a whole number of RGB pixels`)
  const [m0, m1, m2] = IMAGENET_MEAN
  const [s0, s1, s2] = IMAGENET_STD
  for (let i = 0; i < data.length; i += 3) {
    data[i] = (data[i] - m0) / s0
    data[i + 1] = (data[i + 1] - m1) / s1
    data[i + 2] = (data[i + 2] - m2) / s2
  }
  return data
}
