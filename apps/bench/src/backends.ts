/**
 * Our backends as contenders. Each is created through core (`createBackend(name)`, after
 * registering the package's own factory so resolution never depends on hoisting) and
 * measured only through the public API: inputs uploaded once, the op called repeatedly,
 * `await backend.sync()` as the barrier, outputs disposed every call.
 */
import type { Backend, Tensor } from '@llama-ops/core';
import { reasonOf, withTimeout, type Contender, type RowSession } from './contender.js';
import type { ContenderInfo } from './report.js';
import type { BenchRow, RowInputs } from './rows.js';

type Core = typeof import('@llama-ops/core');

/** The backends runBench knows by default, best first. */
export const BACKEND_NAMES = ['cpu', 'wasm', 'webgpu'] as const;

const PACKAGES: Record<string, string> = {
  cpu: '@llama-ops/backend-cpu',
  wasm: '@llama-ops/backend-wasm',
  webgpu: '@llama-ops/backend-webgpu',
};

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

const SOFTWARE_GPU = /llvmpipe|lavapipe|swiftshader|software|cpu/i;

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
    software = SOFTWARE_GPU.test(desc);
    if (software) notes.push('software Vulkan/GPU emulation: these numbers only prove the backend runs, not GPU speed');
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
  if (p.kind === 'rmsnorm' && inputs.kind === 'rmsnorm') {
    const x = backend.tensor(inputs.x, [p.rows, p.hidden]);
    const w = backend.tensor(inputs.weight, [p.hidden]);
    if (inputs.residual) {
      const r = backend.tensor(inputs.residual, [p.rows, p.hidden]);
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
    const x = backend.tensor(inputs.x, [p.batch, p.seq, p.heads, p.headDim]);
    return { run: () => [core.rope(x, { positions: p.start, theta: p.theta })], inputs: [x] };
  }
  if (p.kind === 'gqa' && inputs.kind === 'gqa') {
    const q = backend.tensor(inputs.q, [p.batch, p.seqQ, p.headsQ, p.headDim]);
    const k = backend.tensor(inputs.k, [p.batch, p.seqKV, p.headsKV, p.headDim]);
    const v = backend.tensor(inputs.v, [p.batch, p.seqKV, p.headsKV, p.headDim]);
    // kvLength defaults to seqKV and queryOffset to kvLength - seqQ: prefill is square
    // causal, decode is one query at the end of a full cache.
    return { run: () => [core.gqa(q, k, v, { causal: p.causal })], inputs: [q, k, v] };
  }
  throw new Error(`row ${row.id}: inputs of kind ${inputs.kind} do not match params of kind ${p.kind}`);
}

/**
 * Create the contender for backend `name`, or an unavailable {@link ContenderInfo} with the
 * reason (package not installed or not built, no adapter, start-up failed...).
 */
export async function createBackendContender(name: string, threads: number, gpuTimestamps = true): Promise<Contender | ContenderInfo> {
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
      const mod = (await import(/* @vite-ignore */ pkg)) as {
        createBackend?: (o?: Record<string, unknown>) => Promise<Backend>;
        timeGpu?: DeviceTimer;
      };
      if (typeof mod.createBackend !== 'function') return skip(`${pkg} does not export createBackend()`);
      core.registerBackend(name, mod.createBackend);
      if (typeof mod.timeGpu === 'function') timer = mod.timeGpu;
    } catch (err) {
      return skip(`${pkg} is not installed or not built (${reasonOf(err)})`);
    }
  }
  let backend: Backend;
  try {
    // cpu is single-threaded and takes no options; wasm takes its worker count.
    const options = name === 'cpu' || name === 'webgpu' ? undefined : { threads };
    backend = await withTimeout(core.createBackend(name, options), START_TIMEOUT_MS, `creating the ${name} backend`);
  } catch (err) {
    return skip(reasonOf(err));
  }
  const info = describe(name, backend, threads);
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
    async prepare(row: BenchRow, inputs: RowInputs): Promise<RowSession> {
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
