/**
 * Creating an onnxruntime-node session on the first execution provider that works, in the order
 * asked for, with CPU as the last resort. A provider fails at session creation when its libraries
 * or device are missing (CUDA libraries are not in the npm package; WebGPU finds no adapter on a
 * machine without a usable Vulkan GPU); the reasons are kept so callers can say why.
 */
import { existsSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import * as ort from 'onnxruntime-node'
import { UserError } from '../../../common/ipc/errors'
import type { ProviderFallback, ProviderName } from './types'

export interface CreatedSession {
  session: ort.InferenceSession
  provider: ProviderName
  fallbacks: ProviderFallback[]
  threads: number
}

/** The first line of an error's message, without onnxruntime's source-location prefix. */
export function errorReason(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim()
  return line.replace(/^\/onnxruntime_src\/.*? was false\. /, '').replace(/^\/onnxruntime_src\/\S+ /, '')
}

/** The providers to try: as given, duplicates dropped, CPU last. */
export function providerOrder(providers: readonly ProviderName[] = ['cpu']): ProviderName[] {
  const order = [...new Set(providers)].filter((p) => p !== 'cpu')
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
  providers: readonly ProviderName[] = ['cpu'],
  intraOpNumThreads?: number
): Promise<CreatedSession> {
  if (!existsSync(modelPath) || !statSync(modelPath).isFile()) throw new UserError(`model not found: ${modelPath}`, 'NOT_FOUND')
  const threads = intraOpNumThreads ?? availableParallelism()
  if (!(Number.isInteger(threads) && threads >= 1)) throw new UserError(`intra-op threads must be a positive integer, got ${threads}`, 'BAD_CONFIG')
  const fallbacks: ProviderFallback[] = []
  for (const provider of providerOrder(providers)) {
    try {
      const session = await ort.InferenceSession.create(modelPath, sessionOptions(provider, threads))
      return { session, provider, fallbacks, threads }
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
