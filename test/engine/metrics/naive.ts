/**
 * Slow, direct implementations of the evaluation protocol's metrics, written independently of
 * src/main/engine/metrics for the property test: comparator sorts, union-find components, average
 * ranks for AUROC, the MVTec AD cumulative-sum PRO curve and its trapezoid.
 */

/** AUROC as the Mann-Whitney statistic with average ranks for ties. */
export function naiveAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b])
  let rankSum = 0
  let positives = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j < n && scores[order[j]] === scores[order[i]]) j++
    const rank = (i + 1 + j) / 2 // average of ranks i+1..j
    for (let t = i; t < j; t++) if (labels[order[t]]) rankSum += rank
    for (let t = i; t < j; t++) positives += labels[order[t]] ? 1 : 0
    i = j
  }
  const negatives = n - positives
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

/** sklearn's average precision: sum over distinct thresholds of (recall step) * precision. */
export function naiveAveragePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a])
  let positives = 0
  for (let i = 0; i < n; i++) positives += labels[i] ? 1 : 0
  let tp = 0
  let fp = 0
  let ap = 0
  let lastRecall = 0
  for (let i = 0; i < n; ) {
    const s = scores[order[i]]
    while (i < n && scores[order[i]] === s) {
      if (labels[order[i]]) tp++
      else fp++
      i++
    }
    const recall = tp / positives
    ap += (recall - lastRecall) * (tp / (tp + fp))
    lastRecall = recall
  }
  return ap
}

/** 8-connected components by union-find over all neighbour pairs; labels 0 background, 1.. in raster order. */
export function naiveComponents(mask: Uint8Array, height: number, width: number): { labels: Int32Array; count: number } {
  const parent = Int32Array.from({ length: mask.length }, (_, i) => i)
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]]
    return a
  }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue
      for (const [dy, dx] of [[0, 1], [1, -1], [1, 0], [1, 1]]) {
        const yy = y + dy
        const xx = x + dx
        if (yy < height && xx >= 0 && xx < width && mask[yy * width + xx]) {
          const a = find(y * width + x)
          const b = find(yy * width + xx)
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
        }
      }
    }
  const labels = new Int32Array(mask.length)
  const ids = new Map<number, number>()
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue
    const root = find(i)
    if (!ids.has(root)) ids.set(root, ids.size + 1)
    labels[i] = ids.get(root) as number
  }
  return { labels, count: ids.size }
}

export interface NaiveSample {
  gt: Uint8Array | null
  map: Float32Array
}

/** METHOD.md's IAP and IAP@k, counting pixels >= each instance score directly. */
export function naiveIap(samples: NaiveSample[], size: number, k: number): { iap: number; iapAtK: number; threshold: number; instances: number } {
  const scores: number[] = []
  for (const s of samples) {
    if (!s.gt) continue
    const { labels, count } = naiveComponents(s.gt, size, size)
    for (let l = 1; l <= count; l++) {
      const values: number[] = []
      for (let i = 0; i < labels.length; i++) if (labels[i] === l) values.push(s.map[i])
      values.sort((a, b) => b - a)
      scores.push(values[Math.floor(0.5 * values.length)])
    }
  }
  scores.sort((a, b) => a - b)
  const n = scores.length
  const precision = scores.map((t) => {
    let inside = 0
    let all = 0
    for (const s of samples)
      for (let i = 0; i < s.map.length; i++)
        if (s.map[i] >= t) {
          all++
          if (s.gt && s.gt[i]) inside++
        }
    return inside / all
  })
  for (let i = 1; i < n; i++) precision[i] = Math.max(precision[i], precision[i - 1])
  let at = 0
  for (let i = 0; i < n; i++) if (1 - i / n >= k) at = i
  return { iap: precision.reduce((a, b) => a + b, 0) / n, iapAtK: precision[at], threshold: scores[at], instances: n }
}

/** MVTec AD's PRO curve (cumulative sums over pixels sorted by score, last of each tie kept) and trapezoid to `limit`, divided by it. */
export function naiveAupro(samples: NaiveSample[], size: number, limit = 0.3): number {
  const scores: number[] = []
  const fpChange: number[] = []
  const proChange: number[] = []
  let ok = 0
  let regions = 0
  for (const s of samples) {
    const { labels, count } = s.gt ? naiveComponents(s.gt, size, size) : { labels: new Int32Array(s.map.length), count: 0 }
    const sizes = new Array<number>(count + 1).fill(0)
    for (let i = 0; i < labels.length; i++) sizes[labels[i]]++
    regions += count
    for (let i = 0; i < s.map.length; i++) {
      scores.push(s.map[i])
      fpChange.push(labels[i] === 0 ? 1 : 0)
      proChange.push(labels[i] === 0 ? 0 : 1 / sizes[labels[i]])
      if (labels[i] === 0) ok++
    }
  }
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a])
  const x = [0]
  const y = [0]
  let fp = 0
  let pro = 0
  for (let t = 0; t < order.length; t++) {
    fp += fpChange[order[t]]
    pro += proChange[order[t]]
    if (t === order.length - 1 || scores[order[t + 1]] !== scores[order[t]]) {
      x.push(Math.min(fp / ok, 1))
      y.push(Math.min(pro / regions, 1))
    }
  }
  x.push(1)
  y.push(1)
  let area = 0
  for (let i = 1; i < x.length; i++) {
    if (x[i] <= limit) area += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1])
    else {
      if (x[i - 1] < limit) {
        const yAt = y[i - 1] + ((y[i] - y[i - 1]) * (limit - x[i - 1])) / (x[i] - x[i - 1])
        area += 0.5 * (yAt + y[i - 1]) * (limit - x[i - 1])
      }
      break
    }
  }
  return area / limit
}

/** Mean of the T largest values (a full comparator sort). */
export function naiveTopMean(map: Float32Array, t: number): number {
  const sorted = Array.from(map).sort((a, b) => b - a)
  return sorted.slice(0, t).reduce((a, b) => a + b, 0) / t
}
