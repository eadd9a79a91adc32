/**
 * Getting a GPUDevice: the user's own, or one requested from `navigator.gpu` (browsers,
 * Deno) or from Dawn's Node binding (the optional `webgpu` npm package), with the limits
 * these kernels need raised to the adapter's maxima (a device gets the spec's small
 * defaults, e.g. 128 MiB per storage binding, unless it asks for more).
 */

import { BackendUnavailableError } from '@llama-ops/core';

/** Options of {@link createBackend} that decide which device is used. */
export interface DeviceOptions {
  /** Use this device as is (its features and limits are whatever it was created with). */
  device?: GPUDevice;
  /** A `GPU` object to request an adapter from (default: `navigator.gpu`, else Dawn in Node). */
  gpu?: GPU;
  /** Adapter preference passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
  /** Extra `requiredLimits` (capped at the adapter's maxima); the defaults ask for the maxima. */
  requiredLimits?: Record<string, number>;
  /**
   * Dawn toggles/flags for Node's `webgpu` package when it is used (`create(flags)`), e.g.
   * `['backend=null']` to validate shaders without running them.
   */
  dawnFlags?: string[];
}

/** The device and what is known about it. */
export interface AcquiredDevice {
  device: GPUDevice;
  /** The GPU object the device came from, if known (for `wgslLanguageFeatures`). */
  gpu: GPU | null;
  adapterInfo: { vendor?: string; architecture?: string; device?: string; description?: string };
  /** Whether this module created the device (and so destroys it on dispose). */
  owned: boolean;
}

/** Limits raised to the adapter's maxima when the device is created here. */
const LIMITS_TO_RAISE = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Optional features used when the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

// Dawn's GPU object is made once per process: creating several leaks native instances.
let dawnGpu: Promise<GPU | null> | null = null;
const dawnByFlags = new Map<string, Promise<GPU | null>>();

async function loadDawn(flags: string[]): Promise<GPU | null> {
  const key = flags.join(',');
  const load = async (): Promise<GPU | null> => {
    try {
      const spec = 'webgpu';
      const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as {
        create: (flags: string[]) => GPU;
        globals: Record<string, unknown>;
      };
      // GPUBufferUsage, GPUMapMode... are globals in browsers; Dawn exports them instead.
      for (const [name, value] of Object.entries(mod.globals)) {
        if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
      }
      return mod.create(flags);
    } catch {
      return null;
    }
  };
  if (key === '') return (dawnGpu ??= load());
  let p = dawnByFlags.get(key);
  if (!p) dawnByFlags.set(key, (p = load()));
  return p;
}

/**
 * Names of CPU rasterisers in an adapter's info: SwiftShader, lavapipe/llvmpipe, or an adapter
 * that calls itself software or CPU (matched in vendor, architecture, device and description).
 */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|\bcpu\b/i;

/**
 * Whether an adapter is a software rasteriser (SwiftShader, lavapipe/llvmpipe): it computes
 * correctly, but its speed says nothing about a GPU. The one detection behind
 * `capabilities.software`; false for an adapter whose info is empty.
 */
export function isSoftwareAdapter(info: AcquiredDevice['adapterInfo'] | undefined): boolean {
  if (!info) return false;
  return SOFTWARE_ADAPTER.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

function infoOf(info: GPUAdapterInfo | undefined): AcquiredDevice['adapterInfo'] {
  if (!info) return {};
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

/**
 * The typed error of a WebGPU that cannot run here: `code` is `E_BACKEND_UNAVAILABLE`, and
 * its one attempt (`webgpu`, installed) carries the reason, as core's registry reports it.
 */
function unavailable(reason: string): BackendUnavailableError {
  return new BackendUnavailableError({ op: 'createBackend', hint: reason }, [{ name: 'webgpu', installed: true, reason }]);
}

/**
 * Return the user's device, or request one with raised limits and the optional features.
 * @throws BackendUnavailableError with the reason when there is no WebGPU implementation,
 *   no adapter, or the device cannot be created.
 */
export async function acquireDevice(options: DeviceOptions): Promise<AcquiredDevice> {
  if (options.device) {
    const device = options.device;
    const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? null;
    return { device, gpu, adapterInfo: infoOf((device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo), owned: false };
  }
  let gpu: GPU | null = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? null;
  let source = 'navigator.gpu';
  if (!gpu) {
    gpu = await loadDawn(options.dawnFlags ?? []);
    source = "Dawn (the 'webgpu' npm package)";
  }
  if (!gpu) {
    throw unavailable(
      "WebGPU is not available: no navigator.gpu here, and the optional 'webgpu' package (Dawn for Node) could not be loaded (npm install webgpu)",
    );
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  } catch (err) {
    throw unavailable(`WebGPU is not available: ${source} failed to give an adapter (${(err as Error).message})`);
  }
  if (!adapter) {
    throw unavailable(
      `WebGPU is not available: ${source} found no GPU adapter (no GPU or Vulkan/Metal/D3D12 driver; in Node set VK_ICD_FILENAMES to a software Vulkan driver such as SwiftShader or lavapipe)`,
    );
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_RAISE) {
    const max = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof max === 'number') requiredLimits[name] = max;
  }
  for (const [name, value] of Object.entries(options.requiredLimits ?? {})) {
    const max = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof max === 'number') requiredLimits[name] = Math.min(value, max);
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (err) {
    throw unavailable(`WebGPU is not available: requestDevice failed (${(err as Error).message})`);
  }
  return { device, gpu, adapterInfo: infoOf(adapter.info), owned: true };
}
