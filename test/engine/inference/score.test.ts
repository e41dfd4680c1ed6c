/** Pure parts of inference: the top-T score, post-processing, NHWC -> NCHW, input size, providers. */
import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/common/ipc/errors'
import { imageResult, mapOf } from '../../../src/main/engine/inference/postprocess'
import { hwcToChw, imageError } from '../../../src/main/engine/inference/preprocess'
import { errorReason, providerOrder } from '../../../src/main/engine/inference/providers'
import { topTMean } from '../../../src/main/engine/inference/score'
import { resolveInputSize } from '../../../src/main/engine/inference/session-runner'
import type { InferenceResult } from '../../../src/main/engine/inference/types'

describe('topTMean', () => {
  it('is the mean of the T largest values (a hand case)', () => {
    const map = Float32Array.from([0.1, 0.9, 0.3, 0.7, 0.5, 0.2])
    expect(topTMean(map, 1)).toBeCloseTo(0.9, 7)
    expect(topTMean(map, 2)).toBeCloseTo(0.8, 7)
    expect(topTMean(map, 3)).toBeCloseTo((0.9 + 0.7 + 0.5) / 3, 7)
    expect(topTMean(map, 6)).toBeCloseTo(2.7 / 6, 7)
    expect(topTMean(map, 100)).toBeCloseTo(2.7 / 6, 7) // T above the map's size: all values
  })

  it('counts ties and picks the top values wherever they are in a 256x256 map', () => {
    const map = new Float32Array(256 * 256).fill(0.25)
    // 100 values of 1 and 20 of 0.75 scattered; the top 100 are the ones, the top 110 add ten 0.75s
    for (let i = 0; i < 100; i++) map[(i * 6553) % map.length] = 1
    for (let i = 0; i < 20; i++) map[(i * 3271 + 17) % map.length] = 0.75
    expect(topTMean(map, 100)).toBe(1)
    expect(topTMean(map, 110)).toBeCloseTo((100 + 10 * 0.75) / 110, 7)
    expect(topTMean(map, 200)).toBeCloseTo((100 + 20 * 0.75 + 80 * 0.25) / 200, 7)
  })

  it('refuses T < 1 and an empty map', () => {
    expect(() => topTMean(new Float32Array(4), 0)).toThrow(/positive integer/)
    expect(() => topTMean(new Float32Array(0), 1)).toThrow(/empty/)
  })
})

describe('post-processing', () => {
  it('upsamples the map to 256x256, scores it, and to the original size on demand', () => {
    // two 2x2 maps back to back, [2, 1, 2, 2]
    const output = Float32Array.from([0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8])
    const map = mapOf(output, 1, 2)
    expect(Array.from(map)).toEqual(Array.from(Float32Array.from([0.2, 0.4, 0.6, 0.8])))
    const r = imageResult({ path: 'a.png', map, mapSize: 2, width: 5, height: 3 }, 100, 'maps', true) as InferenceResult
    expect(r.map256).toHaveLength(256 * 256)
    // half-pixel bilinear from 2x2: the bottom-right quarter's far corner is the last value; the top-left the first
    expect(r.map256[0]).toBeCloseTo(0.2, 6)
    expect(r.map256[256 * 256 - 1]).toBeCloseTo(0.8, 6)
    expect(r.score).toBeCloseTo(topTMean(r.map256, 100), 12)
    expect(r.score).toBeGreaterThan(0.79)
    expect(r.mapOriginal).toHaveLength(15)
    const s = imageResult({ path: 'a.png', map, mapSize: 2, width: 5, height: 3 }, 100, 'scores', true)
    expect(s).toEqual({ path: 'a.png', score: r.score, width: 5, height: 3 })
    expect(() => mapOf(output, 2, 2)).toThrow(/holds 2 maps/)
  })

  it('turns NHWC into NCHW at an offset', () => {
    const hwc = Float32Array.from([1, 2, 3, 4, 5, 6]) // 1 x 2 pixels, RGB
    const out = new Float32Array(8)
    hwcToChw(hwc, 1, 2, out, 2)
    expect(Array.from(out)).toEqual([0, 0, 1, 4, 2, 5, 3, 6])
  })

  it('names the file in image errors', () => {
    const e = imageError('/x/y.png', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }))
    expect(e).toBeInstanceOf(UserError)
    expect(e.code).toBe('BAD_IMAGE')
    expect(e.message).toBe('cannot read image /x/y.png: no such file')
  })
})

describe('model input size', () => {
  it('comes from a static shape, the metadata or the caller, and they must agree', () => {
    expect(resolveInputSize(['N', 3, 64, 64], {})).toBe(64)
    expect(resolveInputSize(['N', 3, 'H', 'W'], { 'destseg.input_size': '256' })).toBe(256)
    expect(resolveInputSize(['N', 3, 'H', 'W'], {}, 128)).toBe(128)
    expect(() => resolveInputSize(['N', 3, 'H', 'W'], {})).toThrow(/does not say its input size/)
    expect(() => resolveInputSize(['N', 3, 64, 64], { 'destseg.input_size': '32' })).toThrow(/mismatch/)
    expect(() => resolveInputSize(['N', 1, 64, 64], {})).toThrow(/1 channels/)
    expect(() => resolveInputSize(['N', 3, 'H', 'W'], { 'destseg.input_size': '30' })).toThrow(/multiple of 4/)
  })
})

describe('execution providers', () => {
  it('are tried in the order given, CPU last', () => {
    expect(providerOrder()).toEqual(['cpu'])
    expect(providerOrder(['cuda', 'cpu', 'webgpu', 'cuda'])).toEqual(['cuda', 'webgpu', 'cpu'])
  })

  it('failures are reduced to their reason', () => {
    const webgpu =
      '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n'
    expect(errorReason(new Error(webgpu))).toBe('Failed to get a WebGPU adapter: No supported adapters')
    expect(errorReason(new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'))).toBe(
      'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'
    )
  })
})
