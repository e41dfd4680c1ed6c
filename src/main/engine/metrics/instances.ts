/**
 * Ground-truth instances: the 8-connected components of a binary mask, and each instance's score
 * (the value at index floor(0.5 * n) of its n pixel scores sorted descending, so the instance is
 * detected at threshold t when at least half of its pixels score >= t).
 */

/** Components of one mask: labels [H*W] (0 background, 1..count), sizes[label - 1] in pixels. */
export interface Components {
  labels: Int32Array
  count: number
  sizes: number[]
}

/** The flood fill's stack, kept between calls (one mask at a time, never re-entered). */
let stackBuffer = new Int32Array(0)

/** Labels the 8-connected components of a binary [height, width] mask (non-zero = foreground), in raster order of first pixel. */
export function connectedComponents8(mask: Uint8Array, height: number, width: number): Components {
  const n = height * width
  if (mask.length !== n) throw new Error(`connectedComponents8: ${mask.length} values for ${height}x${width}`)
  const labels = new Int32Array(n)
  const sizes: number[] = []
  if (stackBuffer.length < n) stackBuffer = new Int32Array(n)
  const stack = stackBuffer
  let count = 0
  for (let start = 0; start < n; start++) {
    if (!mask[start] || labels[start] !== 0) continue
    const label = ++count
    labels[start] = label
    let top = 0
    stack[top++] = start
    let size = 0
    while (top > 0) {
      const p = stack[--top]
      size++
      const y = (p / width) | 0
      const x = p - y * width
      const y0 = y > 0 ? y - 1 : 0
      const y1 = y < height - 1 ? y + 1 : y
      const x0 = x > 0 ? x - 1 : 0
      const x1 = x < width - 1 ? x + 1 : x
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0, q = yy * width + x0; xx <= x1; xx++, q++) {
          if (mask[q] && labels[q] === 0) {
            labels[q] = label
            stack[top++] = q
          }
        }
      }
    }
    sizes.push(size)
  }
  return { labels, count, sizes }
}

/** Scores [count] of every component of `components` under `map` [H*W], in label order. */
export function instanceScores(components: Components, map: Float32Array): Float32Array {
  const { labels, count, sizes } = components
  if (map.length !== labels.length) throw new Error(`instanceScores: ${map.length} scores for ${labels.length} labels`)
  // pixel scores grouped by label: offsets[l - 1] is the first slot of label l
  const offsets = new Int32Array(count + 1)
  for (let l = 0; l < count; l++) offsets[l + 1] = offsets[l] + sizes[l]
  const fill = offsets.slice(0, count)
  const grouped = new Float32Array(offsets[count])
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p]
    if (l !== 0) grouped[fill[l - 1]++] = map[p]
  }
  const out = new Float32Array(count)
  for (let l = 0; l < count; l++) {
    const group = grouped.subarray(offsets[l], offsets[l + 1]).sort() // ascending, in place
    out[l] = group[group.length - 1 - Math.floor(0.5 * group.length)]
  }
  return out
}
