/**
 * Our backends as contenders. Each is created through core (`createBackend(name)`, after
 * registering the package's own factory so resolution never depends on hoisting) and
 * measured only through the public API: inputs uploaded once, the op called repeatedly,
 * `await backend.sync()` as the barrier, outputs disposed every call. "JS in, JS out" rows
 * time upload + op + read back instead (js-io.ts).
 */
import { BUILTIN_BACKENDS, type Backend, type BuiltinBackendName, type Tensor } from '@llama-ops/core';
import { reasonOf, withTimeout, type Contender, type RowSession } from './contender.js';
import { jsIoSession } from './js-io.js';
import { isSoftwareAdapter, sharedGpu, SOFTWARE_ADAPTER_LABEL, type SharedGpu } from './gpu.js';
import type { ContenderInfo, QuickProbe } from './report.js';
import type { BenchRow, BenchSize, RowInputs } from './rows.js';

type Core = typeof import('@llama-ops/core');

/**
 * The backends runBench knows by default: core's built-ins (its one table of names and
 * priorities), measured lowest priority first (cpu, wasm, webgpu).
 */
export const BACKEND_NAMES: readonly BuiltinBackendName[] = [...BUILTIN_BACKENDS].sort((a, b) => a.priority - b.priority).map((b) => b.name);

/** The backends measured by default on each row set: every one on `default`, webgpu on `gpu`. */
export function defaultBackends(size: BenchSize): string[] {
  return size === 'gpu' ? ['webgpu'] : [...BACKEND_NAMES];
}

interface BackendModule {
  createBackend?: (o?: Record<string, unknown>) => Promise<Backend>;
  timeGpu?: DeviceTimer;
}

/**
 * The built-in backend packages, imported on demand. Literal specifiers (not a variable) so a
 * bundler (the device kit's esbuild bundle) includes them; tsup keeps them external.
 */
const LOADERS: Record<BuiltinBackendName, () => Promise<BackendModule>> = {
  cpu: () => import('@llama-ops/backend-cpu'),
  wasm: () => import('@llama-ops/backend-wasm'),
  webgpu: () => import('@llama-ops/backend-webgpu') as Promise<BackendModule>,
};

/** Each built-in's package (name from core's table) and loader. */
const PACKAGES: Record<string, { name: string; load: () => Promise<BackendModule> }> = Object.fromEntries(
  BUILTIN_BACKENDS.map((b) => [b.name, { name: b.package, load: LOADERS[b.name] }]),
);

/** Backend start-up longer than this is treated as unavailable (a GPU adapter request can hang). */
const START_TIMEOUT_MS = 60_000;

/**
 * A device timer a backend package may export (`@llama-ops/backend-webgpu`'s `timeGpu`):
 * runs `fn`, waits for the device, and reports the summed GPU-timestamp time of its passes
 * (`source: 'timestamp'`) or the wall time to the end of `sync()` (`'wall'`).
 */
type DeviceTimer = <T>(backend: Backend, fn: () => T) => Promise<{ result: T; ms: number; source: 'timestamp' | 'wall' }>;

/**
 * Try the device timer once on a tiny RMSNorm, then run and read one plain op so an error
 * the timer left on the device surfaces here and not in the first row. Returns the timer's
 * source, or why it cannot be trusted.
 */
async function probeTimer(core: Core, backend: Backend, timer: DeviceTimer): Promise<'timestamp' | 'wall' | string> {
  const x = backend.tensor(new Float32Array(64).fill(1), [1, 64]);
  const w = backend.tensor(new Float32Array(64).fill(1), [64]);
  let verdict: string;
  try {
    const r = await timer(backend, () => core.rmsnorm(x, w));
    r.result.dispose();
    verdict = r.source === 'timestamp' && !(r.ms > 0) ? 'they reported 0 ms' : r.source;
  } catch (err) {
    verdict = reasonOf(err);
  }
  try {
    const y = core.rmsnorm(x, w);
    await y.read();
    y.dispose();
  } catch (err) {
    if (verdict === 'timestamp' || verdict === 'wall') verdict = reasonOf(err);
  }
  x.dispose();
  w.dispose();
  return verdict;
}

function describe(name: string, backend: Backend, requestedThreads: number): ContenderInfo {
  const caps = backend.capabilities;
  const notes = [...(caps.notes ?? [])];
  const bits: string[] = [];
  if (caps.simd !== undefined) bits.push(caps.simd ? 'SIMD' : 'no SIMD');
  if (caps.threads !== undefined) bits.push(`${caps.threads} thread${caps.threads === 1 ? '' : 's'}`);
  let software: boolean | undefined;
  if (name === 'webgpu' || caps.adapter) {
    const a = caps.adapter ?? {};
    const desc = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
    if (desc) bits.push(desc);
    software = isSoftwareAdapter(desc);
    if (software) notes.push(SOFTWARE_ADAPTER_LABEL);
  }
  if (name !== 'webgpu' && caps.threads !== undefined && caps.threads !== requestedThreads) {
    notes.push(`${caps.threads} thread(s) in force (asked for ${requestedThreads})`);
  }
  return {
    id: name,
    kind: 'backend',
    label: bits.length ? `${name} (${bits.join(', ')})` : name,
    available: true,
    threads: caps.threads,
    timing: 'wall',
    ...(software !== undefined ? { software } : {}),
    notes,
  };
}

/** Run a row's op once through core's public API; returns the output tensors. */
function opRunner(core: Core, backend: Backend, row: BenchRow, inputs: RowInputs): { run: () => Tensor[]; inputs: Tensor[] } {
  const p = row.params;
  const dtype = { dtype: row.dtype };
  if (p.kind === 'rmsnorm' && inputs.kind === 'rmsnorm') {
    const x = backend.tensor(inputs.x, [p.rows, p.hidden], dtype);
    const w = backend.tensor(inputs.weight, [p.hidden], dtype);
    if (inputs.residual) {
      const r = backend.tensor(inputs.residual, [p.rows, p.hidden], dtype);
      return {
        run: () => {
          const { y, sum } = core.addRmsnorm(x, r, w, { eps: p.eps });
          return [y, sum];
        },
        inputs: [x, r, w],
      };
    }
    return { run: () => [core.rmsnorm(x, w, { eps: p.eps })], inputs: [x, w] };
  }
  if (p.kind === 'rope' && inputs.kind === 'rope') {
    const x = backend.tensor(inputs.x, [p.batch, p.seq, p.heads, p.headDim], dtype);
    return { run: () => [core.rope(x, { positions: p.start, theta: p.theta })], inputs: [x] };
  }
  if (p.kind === 'gqa' && inputs.kind === 'gqa') {
    const q = backend.tensor(inputs.q, [p.batch, p.seqQ, p.headsQ, p.headDim], dtype);
    const k = backend.tensor(inputs.k, [p.batch, p.seqKV, p.headsKV, p.headDim], dtype);
    const v = backend.tensor(inputs.v, [p.batch, p.seqKV, p.headsKV, p.headDim], dtype);
    // queryOffset defaults to kvLength - seqQ: prefill is square causal, decode is one query
    // at the end of each batch entry's cache (ragged when the lengths differ).
    const ragged = p.kvLength.some((l) => l !== p.seqKV);
    const options = ragged ? { causal: p.causal, kvLength: [...p.kvLength] } : { causal: p.causal };
    return { run: () => [core.gqa(q, k, v, options)], inputs: [q, k, v] };
  }
  throw new Error(`row ${row.id}: inputs of kind ${inputs.kind} do not match params of kind ${p.kind}`);
}

/**
 * Bytes of the largest tensor `row` puts in one buffer (inputs and outputs; the KV cache is
 * the largest of an attention row).
 */
export function largestTensorBytes(row: BenchRow): number {
  const e = row.dtype === 'f16' ? 2 : 4;
  const p = row.params;
  if (p.kind === 'rmsnorm') return e * p.rows * p.hidden;
  if (p.kind === 'rope') return e * p.batch * p.seq * p.heads * p.headDim;
  return e * p.batch * Math.max(p.seqKV * p.headsKV * p.headDim, p.seqQ * p.headsQ * p.headDim);
}

/** How {@link createBackendContender} sets a backend up. */
export interface ContenderSetup {
  /** Time WebGPU by GPU timestamps when the backend exposes them. */
  gpuTimestamps: boolean;
  /** Run the conformance kit's quick probe first; a backend that fails it is not benchmarked. */
  quickProbe: boolean;
  /** Longest the quick probe may take, ms. */
  probeTimeoutMs: number;
}

/**
 * Create the contender for backend `name`, or an unavailable {@link ContenderInfo} with the
 * reason (package not installed or not built, no adapter, start-up failed...).
 */
export async function createBackendContender(name: string, threads: number, setup: ContenderSetup): Promise<Contender | ContenderInfo> {
  const { gpuTimestamps, probeTimeoutMs } = setup;
  const skip = (reason: string): ContenderInfo => ({ id: name, kind: 'backend', label: name, available: false, reason, timing: 'wall', notes: [] });
  let core: Core;
  try {
    core = await import('@llama-ops/core');
  } catch (err) {
    return skip(`@llama-ops/core cannot be loaded (${reasonOf(err)})`);
  }
  const pkg = PACKAGES[name];
  let timer: DeviceTimer | null = null;
  if (pkg) {
    try {
      const mod = await pkg.load();
      if (typeof mod.createBackend !== 'function') return skip(`${pkg.name} does not export createBackend()`);
      core.registerBackend(name, mod.createBackend);
      if (typeof mod.timeGpu === 'function') timer = mod.timeGpu;
    } catch (err) {
      return skip(`${pkg.name} is not installed or not built (${reasonOf(err)})`);
    }
  }
  let backend: Backend;
  let gpu: SharedGpu | null = null;
  try {
    // cpu is single-threaded and takes no options; wasm takes its worker count; webgpu runs
    // on the run's shared device (the one onnxruntime-web's WebGPU EP uses too).
    let options: Record<string, unknown> | undefined;
    if (name === 'webgpu') {
      gpu = await withTimeout(sharedGpu(), START_TIMEOUT_MS, 'requesting a WebGPU adapter');
      options = { device: gpu.device, gpu: gpu.gpu };
    } else if (name !== 'cpu') {
      options = { threads };
    }
    backend = await withTimeout(core.createBackend(name, options), START_TIMEOUT_MS, `creating the ${name} backend`);
  } catch (err) {
    return skip(reasonOf(err));
  }
  // The backend must prove itself on this device before its numbers mean anything: the
  // conformance kit's quick probe, through chooseBackend (uncached: its cold time is reported).
  const info = describe(name, backend, threads);
  if (setup.quickProbe) {
    let probe: QuickProbe;
    try {
      probe = await withTimeout(quickProbe(name, backend), probeTimeoutMs, 'the quick conformance probe');
    } catch (err) {
      // A probe that hangs leaves the backend in an unknown state: it is not disposed (that
      // could hang too) and not benchmarked.
      return skip(reasonOf(err));
    }
    if (!probe.ok) {
      return { ...skip(`failed the quick conformance probe: ${probe.reason ?? 'unknown'}`), quickProbe: probe };
    }
    info.quickProbe = probe;
  }
  if (gpu) {
    // A device passed in does not always say which adapter it came from: the shared one knows.
    info.label = `${name} (${gpu.description})`;
    info.software = gpu.software;
    if (gpu.software && !info.notes.includes(SOFTWARE_ADAPTER_LABEL)) info.notes.push(SOFTWARE_ADAPTER_LABEL);
  }
  const dtypes = backend.capabilities.dtypes;
  const maxBinding = gpu?.maxBinding ?? Infinity;
  const fits = (row: BenchRow): string | null => {
    if (!dtypes.includes(row.dtype)) return `${row.dtype} storage is not supported by the ${name} backend here (dtypes: ${dtypes.join(', ')})`;
    const bytes = largestTensorBytes(row);
    return bytes <= maxBinding ? null : `a ${bytes}-byte tensor exceeds this device's largest binding (${maxBinding} bytes)`;
  };
  let useTimestamps = false;
  if (timer && gpuTimestamps) {
    const probe = await probeTimer(core, backend, timer);
    if (probe === 'timestamp') {
      useTimestamps = true;
      info.timing = 'gpu-timestamps';
      info.notes.push('times are GPU timestamps summed over the passes of one call');
    } else if (probe === 'wall') {
      info.notes.push('no timestamp-query on this device: wall time around backend.sync()');
    } else {
      info.notes.push(`GPU timestamps unusable (${probe}): wall time around backend.sync()`);
    }
  } else if (name === 'webgpu') {
    info.notes.push(timer ? 'GPU timestamps off: wall time around backend.sync()' : 'no GPU timestamps exposed: wall time around backend.sync()');
  }

  return {
    info,
    appliesTo: () => true,
    fits,
    async prepare(row: BenchRow, inputs: RowInputs): Promise<RowSession> {
      // JS in, JS out: wall time of upload + op + read back, what the caller waits for.
      if (row.io === 'js') return jsIoSession(core, backend, row, inputs);
      const { run, inputs: tensors } = opRunner(core, backend, row, inputs);
      const free = (ts: Tensor[]) => {
        for (const t of ts) t.dispose();
      };
      let call: RowSession['call'] = async () => {
        const outs = run();
        await backend.sync();
        free(outs);
      };
      if (timer && useTimestamps) {
        const t = timer;
        call = async () => {
          const { result, ms } = await t(backend, run);
          free(result);
          return ms;
        };
      }
      return {
        call,
        async outputs() {
          const outs = run();
          try {
            return await Promise.all(outs.map((t) => t.read()));
          } finally {
            free(outs);
          }
        },
        release: () => free(tensors),
      };
    },
    dispose: () => backend.dispose(),
  };
}

/**
 * Run the conformance kit's quick probe on `backend` through `chooseBackend` (no cache: the
 * bench reports the probe's cold time). A failing backend is disposed by `chooseBackend`.
 */
async function quickProbe(name: string, backend: Backend): Promise<QuickProbe> {
  const { chooseBackend, NoConformingBackendError } = await import('@llama-ops/conformance');
  try {
    const { report } = await chooseBackend({ candidates: [{ name, create: async () => backend }], verify: 'quick', cache: false });
    const entry = report[report.length - 1];
    return { ok: true, ms: Math.round(entry.ms * 10) / 10, cases: entry.cases ?? 0 };
  } catch (err) {
    if (!(err instanceof NoConformingBackendError)) throw err;
    const entry = err.report[err.report.length - 1];
    return { ok: false, ms: Math.round(entry.ms * 10) / 10, cases: entry.cases ?? 0, ...(entry.reason ? { reason: entry.reason } : {}) };
  }
}
