/**
 * The playground's backends: how each is loaded in the browser, how a row describes it, and
 * which one the page starts on, chosen through the conformance kit (`chooseBackend`: the best
 * backend that passes the quick probe on this device; verdicts cached in localStorage).
 */
import { BUILTIN_BACKENDS, type Backend, type BackendCapabilities, type BuiltinBackendName } from '@llama-ops/core';
import type { ChooseReportEntry } from '@llama-ops/conformance';

export type BackendName = BuiltinBackendName;

/** How the page names each built-in backend. */
const LABELS: Record<BackendName, { label: string; blurb: string }> = {
  webgpu: { label: 'WebGPU', blurb: 'WGSL compute shaders on your GPU' },
  wasm: { label: 'WebAssembly', blurb: 'SIMD kernels, threads when isolated' },
  cpu: { label: 'CPU', blurb: 'plain TypeScript, runs anywhere' },
};

/** The built-in backends, best first, in core's order (its one table of names and priorities). */
export const BACKENDS: readonly { name: BackendName; label: string; blurb: string }[] = BUILTIN_BACKENDS.map((b) => ({ name: b.name, ...LABELS[b.name] }));

/**
 * Literal imports, which Vite bundles: core's import of a backend by name (a variable
 * specifier) cannot resolve in a browser, so the page registers these with core.
 */
export const LOADERS: Record<BackendName, () => Promise<{ createBackend: (o?: Record<string, unknown>) => Promise<Backend> }>> = {
  webgpu: () => import('@llama-ops/backend-webgpu'),
  wasm: () => import('@llama-ops/backend-wasm'),
  cpu: () => import('@llama-ops/backend-cpu'),
};

export interface BackendRow {
  name: BackendName;
  label: string;
  blurb: string;
  status: 'checking' | 'available' | 'unavailable';
  reason?: string;
  capabilities?: BackendCapabilities;
}

export function capabilitySummary(c?: BackendCapabilities): string {
  if (!c) return '';
  const parts: string[] = [c.dtypes.join(' + ')];
  if (c.threads !== undefined) parts.push(`${c.threads} thread${c.threads === 1 ? '' : 's'}`);
  if (c.simd) parts.push('SIMD');
  const a = c.adapter;
  if (a) parts.push([a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'GPU adapter');
  if (c.features?.includes('subgroups')) parts.push('subgroups');
  return parts.join(' · ');
}

export function shortReason(e: unknown): string {
  const err = e as { attempts?: Array<{ reason: string }>; message?: string };
  const reason = err?.attempts?.[0]?.reason ?? err?.message ?? String(e);
  return reason.replace(/^.*?createBackend: /, '').split('\n')[0].slice(0, 220);
}


/** `be` with a no-op dispose: the page keeps every backend it created until it unmounts. */
function keepAlive(be: Backend): Backend {
  return new Proxy(be, {
    get(target, prop) {
      if (prop === 'dispose') return () => {};
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Which backend the page starts on, and why each better one was passed over. */
export interface DefaultChoice {
  /** The chosen backend, or null when none passed. */
  name: BackendName | null;
  report: ChooseReportEntry[];
}

/**
 * Choose the default backend through the conformance kit, best first, among the backends the
 * page created (`live`); one that could not be created is reported with its reason.
 */
export async function chooseDefault(rows: readonly BackendRow[], live: ReadonlyMap<BackendName, Backend>): Promise<DefaultChoice> {
  const { chooseBackend, NoConformingBackendError } = await import('@llama-ops/conformance');
  const candidates = rows.map((row) => ({
    name: row.name,
    create: async () => {
      const be = live.get(row.name);
      if (!be) throw new Error(row.reason ?? 'not available in this browser');
      // A software GPU (SwiftShader, lavapipe) computes correctly but slower than wasm, and
      // compiling the probe's shaders on it takes tens of seconds: passed over as the CLI does.
      // It stays selectable by hand.
      if (be.capabilities.software === true) throw new Error(`only a software GPU adapter (${adapterName(be.capabilities.adapter)}): correct but slow; pick it by hand`);
      return keepAlive(be);
    },
  }));
  try {
    const chosen = await chooseBackend({ candidates, verify: 'quick' });
    return { name: chosen.name as BackendName, report: chosen.report };
  } catch (err) {
    if (err instanceof NoConformingBackendError) return { name: null, report: [...err.report] };
    throw err;
  }
}

type Adapter = BackendCapabilities['adapter'];

function adapterName(a: Adapter): string {
  return [a?.vendor, a?.architecture, a?.description].filter(Boolean).join(' ') || 'software';
}
