/** The image score: the mean of the T largest values of a map (METHOD.md, "Inference"). */

/**
 * Mean of the `t` largest values of `map` (all of them when the map is smaller than `t`).
 * A min-heap of the best t seen so far: O(n log t), sums in float64.
 */
export function topTMean(map: ArrayLike<number>, t: number): number {
  if (!(Number.isInteger(t) && t >= 1)) throw new Error(`top-T: T must be a positive integer, got ${t}`)
  const n = map.length
  if (n === 0) throw new Error('top-T: empty map')
  const k = Math.min(t, n)
  const heap = new Float64Array(k)
  for (let i = 0; i < k; i++) heap[i] = map[i]
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(heap, i, k)
  for (let i = k; i < n; i++) {
    const v = map[i]
    if (v > heap[0]) {
      heap[0] = v
      siftDown(heap, 0, k)
    }
  }
  let sum = 0
  for (let i = 0; i < k; i++) sum += heap[i]
  return sum / k
}

function siftDown(heap: Float64Array, i: number, size: number): void {
  const v = heap[i]
  for (;;) {
    let child = 2 * i + 1
    if (child >= size) break
    if (child + 1 < size && heap[child + 1] < heap[child]) child++
    if (heap[child] >= v) break
    heap[i] = heap[child]
    i = child
  }
  heap[i] = v
}
