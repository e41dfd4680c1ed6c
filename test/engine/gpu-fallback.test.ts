/**
 * The GPU paths on a machine that may have no GPU: the webgpu rung of the training backend ladder,
 * the WebGPU adapter probe, the inference provider order (CLI, env DESTSEG_PROVIDERS) with its
 * fallback messages, and the device/fallback fields of `bench train` and `bench infer`. Each test
 * states what it expects both where a WebGPU adapter exists and where none does (CI).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { UserError } from '../../src/common/ipc/errors'
import { BACKEND_IDS, selectBackend } from '../../src/main/engine/backend'
import { adapterName, probeWebGpuAdapter, vulkanLoaderPresent } from '../../src/main/engine/kernels/webgpu'
import { benchInfer } from '../../src/main/engine/inference/bench'
import {
  describeFallbacks,
  parseProviderList,
  precheckProvider,
  providerOrder,
  PROVIDERS_ENV,
  requestedProviders
} from '../../src/main/engine/inference/providers'
import { benchTrainSteps, cpuName } from '../../src/main/engine/trainer/bench'
import { writeFakeModel } from './inference/fake-model'

const probe = await probeWebGpuAdapter()
const adapter = probe.ok ? probe.info.name : undefined
console.info(adapter ? `WebGPU adapter: ${adapter}` : `no WebGPU adapter here: ${probe.ok ? '' : probe.reason}`)

describe('webgpu in the training backend ladder', () => {
  afterAll(async () => {
    await selectBackend('cpu')
  })

  it('is tried after tfjs-node-gpu and before tfjs-node, wasm and cpu', () => {
    expect(BACKEND_IDS).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'])
  })

  it('is used when an adapter is found, else skipped with the reason', async () => {
    const choice = await selectBackend()
    if (adapter) {
      expect(choice).toMatchObject({ name: 'webgpu', trains: true, threads: 1, device: adapter })
    } else {
      expect(choice.name).not.toBe('webgpu')
      expect(choice.device).toBeUndefined()
      expect(choice.reason).toMatch(/webgpu: (no Vulkan loader|no WebGPU adapter|the optional package 'webgpu')/)
    }
  })

  it('asked for by name, falls back to the next rung with the reason when there is no adapter', async () => {
    const choice = await selectBackend('webgpu')
    if (adapter) expect(choice.name).toBe('webgpu')
    else {
      expect(['tensorflow', 'wasm']).toContain(choice.name)
      expect(choice.trains).toBe(true)
      expect(choice.reason).toMatch(/^webgpu: /)
      expect(tf.getBackend()).toBe(choice.name)
    }
  })
})

describe('the WebGPU adapter probe', () => {
  it('says why when the Vulkan loader is missing, without loading Dawn', async () => {
    if (process.platform !== 'linux') return
    expect(vulkanLoaderPresent([])).toBe(false)
    const r = await probeWebGpuAdapter({ libraryDirs: [] })
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^no Vulkan loader \(libvulkan\.so\.1\) on this machine/) })
  })

  it("reaches an adapter through dawn.node (Dawn's null backend, which needs no GPU)", async () => {
    const r = await probeWebGpuAdapter({ dawnBackend: 'null' })
    if (!r.ok) {
      // dawn.node is an optional dependency; where it is missing the reason says so
      expect(r.reason).toMatch(/'webgpu'/)
      return
    }
    expect(r.info).toMatchObject({ featureLevel: 'core', dawnBackend: 'null' })
    expect(typeof r.info.name).toBe('string')
  })

  it('names an adapter by its description, else vendor and architecture', () => {
    expect(adapterName({ description: 'NVIDIA H200', vendor: 'nvidia' })).toBe('NVIDIA H200')
    expect(adapterName({ vendor: 'nvidia', architecture: 'hopper', device: '' })).toBe('nvidia hopper')
    expect(adapterName(undefined)).toBe('unnamed adapter')
  })
})

describe('inference provider order', () => {
  const saved = process.env[PROVIDERS_ENV]
  afterAll(() => {
    if (saved === undefined) delete process.env[PROVIDERS_ENV]
    else process.env[PROVIDERS_ENV] = saved
  })

  it('parses a list, rejects unknown names with the valid ones, and comes from DESTSEG_PROVIDERS by default', () => {
    expect(parseProviderList('cuda,webgpu,cpu')).toEqual(['cuda', 'webgpu', 'cpu'])
    expect(parseProviderList(' WebGPU  cpu ')).toEqual(['webgpu', 'cpu'])
    expect(parseProviderList('')).toBeUndefined()
    expect(() => parseProviderList('cuda,vulkan')).toThrow(UserError)
    expect(() => parseProviderList('cuda,vulkan')).toThrow(/provider must be one of cpu, webgpu, cuda.*got 'vulkan'/)

    delete process.env[PROVIDERS_ENV]
    expect(requestedProviders()).toEqual(['cpu'])
    process.env[PROVIDERS_ENV] = 'cuda,webgpu'
    expect(requestedProviders()).toEqual(['cuda', 'webgpu'])
    expect(providerOrder()).toEqual(['cuda', 'webgpu', 'cpu'])
    expect(requestedProviders(['webgpu'])).toEqual(['webgpu']) // the caller's order wins
    process.env[PROVIDERS_ENV] = 'gpu'
    expect(() => requestedProviders()).toThrow(/DESTSEG_PROVIDERS must be one of/)
    delete process.env[PROVIDERS_ENV]
  })

  it('skips WebGPU without a Vulkan loader, and says why it fell back to CPU', () => {
    if (process.platform === 'linux') expect(precheckProvider('webgpu', () => false)).toMatch(/no Vulkan loader/)
    expect(precheckProvider('webgpu', () => true)).toBeUndefined()
    expect(precheckProvider('cuda', () => false)).toBeUndefined()
    expect(describeFallbacks([{ provider: 'webgpu', reason: 'no WebGPU adapter' }], 'cpu')).toEqual([
      "execution provider 'webgpu' could not create the session (no WebGPU adapter); falling back to 'cpu'"
    ])
  })
})

describe('bench JSON: the device used and why others were not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'destseg-gpu-bench-'))
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await selectBackend('cpu')
  })

  it('bench infer --provider webgpu: provider, requested, device, fallbacks', async () => {
    const model = join(dir, 'fake.onnx')
    writeFakeModel(model, { size: 32 })
    const r = await benchInfer({ modelPath: model, providers: ['webgpu'], threads: 1, batches: [1, 2] })
    expect(r.requested).toEqual(['webgpu', 'cpu'])
    expect(r.runs.map((x) => x.batch)).toEqual([1, 2])
    if (r.provider === 'webgpu') expect(r.device).toEqual(expect.any(String))
    else {
      expect(r.provider).toBe('cpu')
      expect(r.device).toBe(cpuName())
      expect(r.fallbacks).toEqual([{ provider: 'webgpu', reason: expect.any(String) }])
    }
  })

  it('bench train --backend webgpu at 32x32 batch 2: backend, requested, device, fallback', async () => {
    const r = await benchTrainSteps({ size: 32, batch: 2, backend: 'webgpu' })
    expect(r).toMatchObject({ requested: 'webgpu', size: 32, batch: 2 })
    expect(r.student_step_ms).toBeGreaterThan(0)
    expect(r.seg_step_ms).toBeGreaterThan(0)
    if (adapter) expect(r).toMatchObject({ backend: 'webgpu', device: adapter })
    else {
      expect(r.backend).not.toBe('webgpu')
      expect(r.device).toBe(cpuName())
      expect(r.fallback).toMatch(/webgpu: /)
    }
  }, 240_000) // 8 steps of both networks on wasm: about 10 s alone, much longer on a busy 2-core machine
})
