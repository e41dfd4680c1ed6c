/** The heat-map overlay's pure helpers: bilinear upsampling (half-pixel centres), colour maps, region outlines. */
import { describe, expect, it } from 'vitest'
import {
  colormapGradient,
  colormapRgb,
  overlayGrid,
  paintValues,
  regionOutline,
  upsampleBilinear,
  valueRange
} from '../../src/common/heatmap'

describe('upsampleBilinear', () => {
  it('samples at half-pixel centres, clamped at the border (align_corners=False)', () => {
    const out = upsampleBilinear({ size: 2, data: [0, 1, 2, 3] }, 4, 4)
    // source x per output column: -0.25 -> 0, 0.25, 0.75, 1.25 -> 1
    expect(Array.from(out.slice(0, 4))).toEqual([0, 0.25, 0.75, 1])
    expect(Array.from(out.slice(4, 8))).toEqual([0.5, 0.75, 1.25, 1.5])
    expect(Array.from(out.slice(12, 16))).toEqual([2, 2.25, 2.75, 3])
  })

  it('is the identity at the same size, and handles non-square targets', () => {
    const data = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    expect(Array.from(upsampleBilinear({ size: 3, data }, 3, 3))).toEqual(data.map((v) => Math.fround(v)))
    const wide = upsampleBilinear({ size: 3, data }, 6, 3)
    expect(wide).toHaveLength(18)
    expect(wide[0]).toBeCloseTo(0.1, 6)
    expect(wide[17]).toBeCloseTo(0.9, 6)
    expect(() => upsampleBilinear({ size: 3, data: [1, 2] }, 3, 3)).toThrow(/2 values for 3x3/)
  })
})

describe('colour maps', () => {
  it('run from dark or blue (low) to bright or red (high), clamped', () => {
    expect(colormapRgb('jet', 0)).toEqual([0, 0, 128])
    expect(colormapRgb('jet', 1)).toEqual([128, 0, 0])
    expect(colormapRgb('jet', 0.5)).toEqual([128, 255, 128])
    expect(colormapRgb('inferno', 0)).toEqual([0, 0, 4])
    expect(colormapRgb('viridis', 1)).toEqual([253, 231, 37])
    expect(colormapRgb('viridis', 7)).toEqual(colormapRgb('viridis', 1))
    expect(colormapGradient('jet', 2)).toBe('linear-gradient(to right, rgb(0 0 128) 0.0%, rgb(128 255 128) 50.0%, rgb(128 0 0) 100.0%)')
  })

  it('paint values over [lo, hi] as opaque RGBA', () => {
    const rgba = new Uint8ClampedArray(12)
    paintValues(new Float32Array([0.2, 0.6, 5]), rgba, 'jet', 0.2, 1)
    expect(Array.from(rgba.slice(0, 4))).toEqual([0, 0, 128, 255])
    expect(Array.from(rgba.slice(8, 12))).toEqual([128, 0, 0, 255])
    expect(valueRange([0.3, -1, 2])).toEqual([-1, 2])
    expect(valueRange([])).toEqual([0, 1])
  })
})

describe('regionOutline', () => {
  it('traces the pixel edges of {v >= t}, joined into runs', () => {
    // one cell
    expect(regionOutline([0, 0, 0, 0, 1, 0, 0, 0, 0], 3, 3, 0.5)).toBe('M1 1h1M1 2h1M1 1v1M2 1v1')
    // a 2x1 bar on the border: one run per side
    expect(regionOutline([1, 1, 0, 0], 2, 2, 1)).toBe('M0 0h2M0 1h2M0 0v1M2 0v1')
    expect(regionOutline([0, 0, 0, 0], 2, 2, 0.5)).toBe('')
  })
})

describe('overlayGrid', () => {
  it('keeps small images at their size and caps the longer side at 512', () => {
    expect(overlayGrid(300, 200)).toEqual({ width: 300, height: 200 })
    expect(overlayGrid(1024, 768)).toEqual({ width: 512, height: 384 })
  })
})
