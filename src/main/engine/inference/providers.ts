/**
 * Creating an onnxruntime-node session on the first execution provider that works, in the order
 * asked for, with CPU as the last resort. A provider fails at session creation when its libraries
 * or device are missing (CUDA libraries are not in the npm package; WebGPU finds no adapter on a
 * machine without a usable Vulkan GPU); the reasons are kept so callers can say why.
 *
 * The order: the caller's (CLI --provider), else env DESTSEG_PROVIDERS (e.g. 'cuda,webgpu,cpu'; the
 * app's setting for every session it opens: evaluation after training, inspections), else CPU.
 * onnxruntime-node's Linux binary carries the WebGPU provider (Dawn over Vulkan); without a Vulkan
 * loader on the machine it is skipped with that reason instead of being tried.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import * as ort from 'onnxruntime-node'
import { UserError } from '../../../common/ipc/errors'
import { probeWebGpuAdapter, vulkanLoaderPresent } from '../kernels/webgpu/adapter'
import { PROVIDER_NAMES, type ProviderFallback, type ProviderName } from './types'

export interface CreatedSession {
  session: ort.InferenceSession
  provider: ProviderName
  fallbacks: ProviderFallback[]
  threads: number
  /** what the session computes on, where known: the GPU's name (WebGPU adapter, CUDA device) or the CPU model */
  device?: string
}

/** The environment variable holding the app's provider order. */
export const PROVIDERS_ENV = 'DESTSEG_PROVIDERS'

/**
 * Parses a provider list such as 'cuda,webgpu,cpu' (commas or spaces, case-insensitive).
 * Throws a UserError naming the valid providers when one is unknown; undefined for an empty list.
 */
export function parseProviderList(text: string | undefined, what = 'provider'): ProviderName[] | undefined {
  const names = (text ?? '')
    .split(/[\s,]+/)
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean)
  if (names.length === 0) return undefined
  for (const n of names) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(n)) {
      throw new UserError(`${what} must be one of ${PROVIDER_NAMES.join(', ')}, got '${n}'`, 'BAD_CONFIG')
    }
  }
  return names as ProviderName[]
}

/** The providers asked for: `given`, else env DESTSEG_PROVIDERS, else CPU only. */
export function requestedProviders(given?: readonly ProviderName[]): readonly ProviderName[] {
  if (given && given.length > 0) return given
  return parseProviderList(process.env[PROVIDERS_ENV], PROVIDERS_ENV) ?? ['cpu']
}

/** Why `provider` cannot work on this machine without trying it, or undefined (then it is tried). */
export function precheckProvider(provider: ProviderName, hasVulkan: () => boolean = () => vulkanLoaderPresent()): string | undefined {
  if (provider === 'webgpu' && process.platform === 'linux' && !hasVulkan()) {
    return 'no Vulkan loader (libvulkan.so.1) on this machine, so no WebGPU adapter'
  }
  return undefined
}

/** The name of the device `provider` runs on, where it can be found out cheaply; never throws. */
export async function providerDevice(provider: ProviderName): Promise<string | undefined> {
  try {
    if (provider === 'cpu') return cpus()[0]?.model?.trim() || undefined
    if (provider === 'webgpu') {
      // onnxruntime's own Dawn picks the high-performance adapter too; ask dawn.node for its name.
      const probe = await probeWebGpuAdapter()
      return probe.ok ? probe.info.name : undefined
    }
    if (provider === 'cuda' || provider === 'tensorrt') {
      const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
        encoding: 'utf8',
        timeout: 3000,
        stdio: ['ignore', 'pipe', 'ignore']
      })
      return out.split('\n')[0].trim() || undefined
    }
  } catch {
    // unknown
  }
  return undefined
}

/** The first line of an error's message, without onnxruntime's source-location prefix. */
export function errorReason(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim()
  return line.replace(/^\/onnxruntime_src\/.*? was false\. /, '').replace(/^\/onnxruntime_src\/\S+ /, '')
}

/** The providers to try: as given (default: env DESTSEG_PROVIDERS, else CPU), duplicates dropped, CPU last. */
export function providerOrder(providers?: readonly ProviderName[]): ProviderName[] {
  const order = [...new Set(requestedProviders(providers))].filter((p) => p !== 'cpu')
  return [...order, 'cpu']
}

/** Session options shared by every provider: full graph optimisation, `threads` intra-op threads. */
function sessionOptions(provider: ProviderName, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential'
  }
}

/**
 * A session over `modelPath` on the first of `providers` that can create it, else CPU.
 * Throws a UserError when the file is missing or CPU cannot load it either.
 */
export async function createSession(
  modelPath: string,
  providers?: readonly ProviderName[],
  intraOpNumThreads?: number
): Promise<CreatedSession> {
  if (!existsSync(modelPath) || !statSync(modelPath).isFile()) throw new UserError(`model not found: ${modelPath}`, 'NOT_FOUND')
  const threads = intraOpNumThreads ?? availableParallelism()
  if (!(Number.isInteger(threads) && threads >= 1)) throw new UserError(`intra-op threads must be a positive integer, got ${threads}`, 'BAD_CONFIG')
  const fallbacks: ProviderFallback[] = []
  for (const provider of providerOrder(providers)) {
    const unavailable = provider === 'cpu' ? undefined : precheckProvider(provider)
    if (unavailable !== undefined) {
      fallbacks.push({ provider, reason: unavailable })
      continue
    }
    try {
      const session = await ort.InferenceSession.create(modelPath, sessionOptions(provider, threads))
      const device = await providerDevice(provider)
      return { session, provider, fallbacks, threads, ...(device !== undefined ? { device } : {}) }
    } catch (err) {
      if (provider === 'cpu') throw new UserError(`cannot load the model ${modelPath}: ${errorReason(err)}`, 'BAD_MODEL')
      fallbacks.push({ provider, reason: errorReason(err) })
    }
  }
  throw new Error('unreachable: CPU is always tried')
}

/** "provider 'cuda' unavailable (why); using 'cpu'" lines, one per fallback. */
export function describeFallbacks(fallbacks: readonly ProviderFallback[], used: ProviderName): string[] {
  return fallbacks.map((f) => `execution provider '${f.provider}' could not create the session (${f.reason}); falling back to '${used}'`)
}
