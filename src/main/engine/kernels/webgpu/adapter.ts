/**
 * Finding a WebGPU adapter in Node: the optional `webgpu` npm package (dawn.node, Dawn over Vulkan
 * on Linux, prebuilt for linux-x64) gives a `navigator.gpu`-like object. On a machine without a
 * usable Vulkan driver no adapter is found; the probe then says why instead of throwing, so the
 * backend ladder and the inference providers can fall back with a reason.
 *
 * Settings (environment):
 *  - DESTSEG_WEBGPU_BACKEND: Dawn's backend ('vulkan' default on Linux; 'opengl' / 'opengles' ask
 *    for a compatibility-mode adapter, e.g. Mesa llvmpipe, which is how the kernel tests run on a
 *    CPU-only machine; 'null' is Dawn's no-op backend and computes nothing).
 *  - DESTSEG_WEBGPU_ADAPTER: Dawn's `adapter=` option (an adapter name, when several are present).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** What the adapter says about itself (GPUAdapterInfo), plus the options it was asked with. */
export interface WebGpuAdapterInfo {
  /** a readable name: the description, else vendor and architecture, e.g. 'NVIDIA H200' */
  name: string
  vendor: string
  architecture: string
  device: string
  description: string
  /** 'core', or 'compatibility' for Dawn's OpenGL(ES) backends */
  featureLevel: 'core' | 'compatibility'
  /** Dawn's backend as asked for ('default' when not set) */
  dawnBackend: string
}

/** Structural types of the dawn.node objects this module and the backend use (@webgpu/types is not a dependency). */
export interface DawnAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string }
  readonly limits: Record<string, number>
  readonly features: { has(name: string): boolean }
  requestDevice(descriptor?: Record<string, unknown>): Promise<unknown>
}
export interface DawnGpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapterLike | null>
}
interface DawnModule {
  create(options: string[]): DawnGpuLike
  globals: Record<string, unknown>
}

export type WebGpuProbe =
  | { ok: true; gpu: DawnGpuLike; adapter: DawnAdapterLike; info: WebGpuAdapterInfo; globals: Record<string, unknown> }
  | { ok: false; reason: string }

export interface ProbeOptions {
  /** Dawn backend: default env DESTSEG_WEBGPU_BACKEND, else Dawn's default (Vulkan on Linux) */
  dawnBackend?: string
  /** Dawn adapter name: default env DESTSEG_WEBGPU_ADAPTER */
  adapterName?: string
  /** only for tests: where to look for libvulkan (default: the system's library folders) */
  libraryDirs?: readonly string[]
}

const requireOptional = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

/** Library folders the dynamic loader searches on Linux (LD_LIBRARY_PATH, ld.so.conf.d, the usual ones). */
function linuxLibraryDirs(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)
  try {
    for (const f of readdirSync('/etc/ld.so.conf.d')) {
      if (!f.endsWith('.conf')) continue
      for (const line of readFileSync(join('/etc/ld.so.conf.d', f), 'utf8').split('\n')) {
        const d = line.trim()
        if (d.startsWith('/')) dirs.push(d)
      }
    }
  } catch {
    // no ld.so.conf.d: the usual folders below
  }
  const arch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu'
  return [...dirs, `/usr/lib/${arch}`, `/lib/${arch}`, '/usr/local/lib', '/usr/lib64', '/lib64', '/usr/lib', '/lib']
}

/** Whether the Vulkan loader (libvulkan.so.1) can be found; Linux only (true elsewhere). */
export function vulkanLoaderPresent(libraryDirs?: readonly string[]): boolean {
  if (process.platform !== 'linux') return true
  if ((libraryDirs ?? linuxLibraryDirs()).some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true
  if (libraryDirs) return false
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).includes('libvulkan.so.1')
  } catch {
    return false
  }
}

/** The readable name of an adapter: its description, else vendor + architecture + device. */
export function adapterName(info: { vendor?: string; architecture?: string; device?: string; description?: string } | undefined): string {
  const description = info?.description?.trim()
  if (description) return description
  const parts = [info?.vendor, info?.architecture, info?.device].map((s) => s?.trim()).filter((s): s is string => !!s)
  return parts.length > 0 ? parts.join(' ') : 'unnamed adapter'
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]
}

/** Loads the `webgpu` package (dawn.node); a reason when it cannot. */
export function loadDawn(): DawnModule | string {
  try {
    return requireOptional('webgpu') as DawnModule
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'MODULE_NOT_FOUND') return "the optional package 'webgpu' (dawn.node) is not installed"
    return `the 'webgpu' package (dawn.node) failed to load (${firstLine(err)})`
  }
}

/**
 * Looks for a WebGPU adapter (high-performance preference). Never throws: `{ ok: false, reason }`
 * when the package, the Vulkan loader or an adapter is missing.
 */
export async function probeWebGpuAdapter(options: ProbeOptions = {}): Promise<WebGpuProbe> {
  const dawnBackend = (options.dawnBackend ?? process.env.DESTSEG_WEBGPU_BACKEND ?? '').trim()
  const adapterOption = (options.adapterName ?? process.env.DESTSEG_WEBGPU_ADAPTER ?? '').trim()
  const usesVulkan = dawnBackend === '' || dawnBackend === 'vulkan'
  if (usesVulkan && !vulkanLoaderPresent(options.libraryDirs)) {
    const reason = "no Vulkan loader (libvulkan.so.1) on this machine, so no WebGPU adapter; install the GPU vendor's Vulkan driver (README: GPU)"
    return { ok: false, reason }
  }
  const dawn = loadDawn()
  if (typeof dawn === 'string') return { ok: false, reason: dawn }
  const featureLevel: WebGpuAdapterInfo['featureLevel'] = dawnBackend === 'opengl' || dawnBackend === 'opengles' ? 'compatibility' : 'core'
  const flags = [...(dawnBackend ? [`backend=${dawnBackend}`] : []), ...(adapterOption ? [`adapter=${adapterOption}`] : [])]
  try {
    const gpu = dawn.create(flags)
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', ...(featureLevel === 'compatibility' ? { featureLevel } : {}) })
    if (!adapter) {
      const where = dawnBackend ? `Dawn backend '${dawnBackend}'` : 'Vulkan'
      return { ok: false, reason: `no WebGPU adapter: ${where} found no usable GPU (driver missing or too old)` }
    }
    const raw = adapter.info ?? {}
    const info: WebGpuAdapterInfo = {
      name: adapterName(raw),
      vendor: raw.vendor ?? '',
      architecture: raw.architecture ?? '',
      device: raw.device ?? '',
      description: raw.description ?? '',
      featureLevel,
      dawnBackend: dawnBackend || 'default'
    }
    return { ok: true, gpu, adapter, info, globals: dawn.globals }
  } catch (err) {
    return { ok: false, reason: `WebGPU adapter request failed (${firstLine(err)})` }
  }
}
