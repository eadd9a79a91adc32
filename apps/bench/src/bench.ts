/**
 * runBench: every selected row on every available contender, one contender at a time (2
 * shared cores: nothing runs concurrently), plus a copy baseline measured in the same
 * process (host rows: `TypedArray.set` of the same byte count; GPU rows: the device's
 * `copyBufferToBuffer` bandwidth). Each contender's first outputs are checked against the
 * float64 reference before it is timed; one outside tolerance is reported as failed and not
 * timed. A contender that cannot start or cannot run a row is reported as skipped with its
 * reason; nothing it does crashes the run.
 */
import os from 'node:os';
import { createBackendContender, defaultBackends } from './backends.js';
import { reasonOf, type Contender } from './contender.js';
import { measureDeviceCopy, sharedGpu, SOFTWARE_ADAPTER_LABEL, type DeviceCopy, type SharedGpu } from './gpu.js';
import { createOrtWebGpuContenders } from './peer-webgpu.js';
import { createPeerContenders, defaultPeers, KNOWN_PEERS } from './peers.js';
import {
  evaluateTarget,
  measured,
  REPORT_SCHEMA,
  rowReport,
  type BenchReport,
  type ContenderInfo,
  type ContenderResult,
  type CopyBaseline,
  type GpuInfo,
  type MachineInfo,
  type PeerName,
  type RowReport,
} from './report.js';
import { makeInputs, rowsOfSize, selectRows, type BenchRow, type BenchSize } from './rows.js';
import { checksum, gbPerSecond, maxAbsDiff, summarize } from './stats.js';
import { measure, timingPlan, type TimingPlan } from './timing.js';
import { checkTolerance, loadReference, rowReference, type RowReference } from './verify.js';

/** Default time budget per row and contender, in ms (full run). */
export const DEFAULT_TIME_BUDGET_MS = 1500;
/** Time budget per row and contender in `quick` mode, in ms. */
export const QUICK_TIME_BUDGET_MS = 20;

/** Default {@link BenchOptions.rowTimeoutMs}. */
export const DEFAULT_ROW_TIMEOUT_MS = 120_000;

/** What runBench reports while it runs (for progress lines). */
export type BenchProgress =
  | { type: 'contender'; contender: ContenderInfo }
  | { type: 'row'; row: BenchRow; index: number; total: number }
  | { type: 'result'; row: BenchRow; contender: string; result: ContenderResult }
  | { type: 'copy'; row: BenchRow; copy: CopyBaseline }
  | { type: 'device-copy'; when: 'start' | 'end'; copy: DeviceCopy };

/** Options of {@link runBench}. */
export interface BenchOptions {
  /**
   * Row set: `default` (Llama shapes, f32; every backend) or `gpu` (the sizes a GPU is for, f32
   * and f16; at reduced shapes in `quick` mode). Default `default`.
   */
  size?: BenchSize;
  /** Our backends to measure (default `['cpu', 'wasm', 'webgpu']`; size `gpu`: `['webgpu']`). */
  backends?: readonly string[];
  /**
   * Peers to measure (default `['ort-web', 'ort-node']`; size `gpu`: `['ort-webgpu']`); `[]`
   * for none.
   */
  peers?: readonly PeerName[];
  /** Threads for wasm and both peers (default 1; cpu is single-threaded). */
  threads?: number;
  /** Rows by id/op/group substring or RegExp (see `selectRows`); default every row. */
  filter?: string | RegExp | readonly (string | RegExp)[];
  /** Rows to leave out, matched like `filter` (applied after it). */
  exclude?: string | RegExp | readonly (string | RegExp)[];
  /** Explicit rows (overrides `filter` and `exclude`). */
  rows?: readonly BenchRow[];
  /** Budget of timed samples per row and contender, ms (default 1500; quick 20). */
  timeBudgetMs?: number;
  /**
   * Longest a contender may take on one row, ms (default 120 000). One that exceeds it is
   * skipped on that row and every later one (its device may still be busy).
   */
  rowTimeoutMs?: number;
  /**
   * Check every output against the float64 reference of `@llama-ops/conformance` under
   * SPEC.md's tolerances (default true; costs a float64 computation per row). Without it,
   * or without the kit, outputs are compared with the cpu backend's.
   */
  verify?: boolean;
  /** Few samples and a tiny budget: proves everything runs (tests, smoke runs). */
  quick?: boolean;
  /**
   * Run the conformance kit's quick probe (through `chooseBackend`, uncached) on each of our
   * backends before any row (default true). A backend that fails it, or does not finish it
   * within `rowTimeoutMs`, is not benchmarked: it is reported as skipped with the reason.
   * `false` benchmarks every backend that starts (tests of the bench's own per-row handling).
   */
  quickProbe?: boolean;
  /**
   * Seconds after the start of the run after which no further row is started (its
   * contenders are reported as skipped with the reason). For callers that kill the process
   * at a time limit (the device kit): a complete report of fewer rows beats none.
   */
  deadlineSeconds?: number;
  /** Time WebGPU by GPU timestamps when the backend exposes them (default true); false: wall time around sync. */
  gpuTimestamps?: boolean;
  /**
   * Bytes of one device copy for the GPU rows' copy baseline (default 1 GiB on a hardware
   * adapter, 64 MiB on a software one).
   */
  deviceCopyBytes?: number;
  /** Note about the machine stored in the report (e.g. `2 cores shared, no GPU`). */
  machineNote?: string;
  /** Called as contenders start and rows finish. */
  onProgress?: (event: BenchProgress) => void;
}

/** The machine's description, as stored in reports. */
export function machineInfo(note?: string): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    ...(note ? { note } : {}),
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function filterText(filter: BenchOptions['filter']): string | null {
  if (filter === undefined) return null;
  const list = (Array.isArray(filter) ? filter : [filter]) as (string | RegExp)[];
  return list.map(String).join(',');
}

async function measureCopy(row: BenchRow, plan: TimingPlan): Promise<CopyBaseline> {
  // Copy half the row's bytes: read + written = the bytes the row moves.
  const n = Math.max(1, Math.round(row.bytes / 8));
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  const stats = await measure(() => {
    dst.set(src);
  }, plan);
  return { stats, gbps: gbPerSecond(row.bytes, stats.medianMs) };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

class RowTimeout extends Error {}

/** The outcome of comparing a contender's first outputs with the reference (also used by long.ts). */
export interface Comparison {
  maxAbsDiff: number | null;
  toleranceRatio: number | null;
  sampled?: { checked: number; of: number };
}

/** Why outputs fail the check (outside SPEC.md's tolerance, or not finite), or null. */
function wrongOutputs(c: Comparison, finite: boolean): string | null {
  if (c.toleranceRatio !== null && !(c.toleranceRatio <= 1)) {
    const ratio = Number.isFinite(c.toleranceRatio) ? `${c.toleranceRatio.toPrecision(3)}x SPEC's bound` : 'NaN or Inf';
    const what = c.sampled ? `${c.sampled.checked} sampled of ${c.sampled.of} elements` : 'every element';
    return `wrong output: largest |error| ${c.maxAbsDiff?.toExponential(2)} (${ratio}; ${what} checked against the float64 reference); not timed`;
  }
  if (!finite) return 'wrong output: NaN or Inf in the outputs; not timed';
  return null;
}

export async function measureContender(
  c: Contender,
  row: BenchRow,
  inputs: ReturnType<typeof makeInputs>,
  plan: TimingPlan,
  compare: (output: Float32Array) => Comparison,
  rowTimeoutMs: number,
): Promise<{ result: ContenderResult; output: Float32Array | null; timedOut: boolean }> {
  // A contender that hangs (a GPU kernel that never finishes) must not hang the run: after
  // the limit the row is skipped, the session is abandoned, and the caller retires it.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RowTimeout(`timed out after ${rowTimeoutMs >= 10_000 ? `${Math.round(rowTimeoutMs / 1000)} s` : `${rowTimeoutMs} ms`}`)), rowTimeoutMs);
  });
  let session: Awaited<ReturnType<Contender['prepare']>> | undefined;
  try {
    session = await Promise.race([c.prepare(row, inputs), limit]);
  } catch (err) {
    clearTimeout(timer);
    return { result: { status: 'skipped', reason: reasonOf(err) }, output: null, timedOut: err instanceof RowTimeout };
  }
  const s = session;
  let timedOut = false;
  try {
    return await Promise.race([
      (async () => {
        // The first call is read back and checked before anything is timed (it also warms
        // up). A call much longer than the budget (software GPU, slow peer) is then timed
        // with fewer samples.
        const t0 = performance.now();
        const output = concat(await s.outputs());
        const firstMs = performance.now() - t0;
        const sum = checksum(output);
        const check = compare(output);
        const wrong = wrongOutputs(check, sum.finite);
        if (wrong) {
          const failed: ContenderResult = { status: 'failed', reason: wrong, maxAbsDiff: check.maxAbsDiff, toleranceRatio: check.toleranceRatio };
          return { result: failed, output: null, timedOut: false };
        }
        const slow = firstMs > Math.max(5000, 3 * plan.budgetMs);
        const stats = await measure(s.call, slow ? { ...plan, warmupCalls: 0, minSamples: Math.min(plan.minSamples, 3) } : plan);
        return { result: measured(row, stats, sum, { ...check, opName: s.opName }), output, timedOut: false };
      })(),
      limit,
    ]);
  } catch (err) {
    timedOut = err instanceof RowTimeout;
    return { result: { status: 'failed', reason: reasonOf(err) }, output: null, timedOut };
  } finally {
    clearTimeout(timer);
    if (!timedOut) {
      try {
        await s.release();
      } catch {
        // Freeing a failed session must not hide the measurement.
      }
    }
  }
}

/** Contenders that run on the shared GPU device. */
const GPU_CONTENDERS = /^(webgpu|ort-webgpu)/;
/** How long the queue may take to drain after a GPU contender timed out before it counts as blocked. */
const QUEUE_DRAIN_MS = 10_000;

/** Whether the shared device's queue finishes its work within `ms`. */
async function queueDrains(gpu: SharedGpu, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([gpu.device.queue.onSubmittedWorkDone().then(() => true as const, () => false as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A device copy as a row's copy baseline. */
function deviceBaseline(copy: DeviceCopy): CopyBaseline {
  return { stats: summarize([copy.medianMs]), gbps: copy.gbps, source: 'device', bufferBytes: copy.bufferBytes };
}

/**
 * Run the benchmark.
 * @example
 * const report = await runBench({ backends: ['cpu', 'wasm'], threads: 1, filter: 'rmsnorm' });
 * console.log(formatMarkdown(report));
 * @example
 * // GPU rows on webgpu and onnxruntime-web's WebGPU EP, on one shared device
 * const gpu = await runBench({ size: 'gpu' });
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const t0 = performance.now();
  const loadStart = os.loadavg()[0];
  const quick = options.quick ?? false;
  const size = options.size ?? 'default';
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const timeBudgetMs = options.timeBudgetMs ?? (quick ? QUICK_TIME_BUDGET_MS : DEFAULT_TIME_BUDGET_MS);
  const backendNames = [...(options.backends ?? defaultBackends(size))];
  const peerNames = [...(options.peers ?? defaultPeers(size))];
  const allRows = rowsOfSize(size, quick);
  const excluded = options.exclude === undefined ? new Set<BenchRow>() : new Set(selectRows(options.exclude, allRows));
  const rows = options.rows ? [...options.rows] : selectRows(options.filter, allRows).filter((r) => !excluded.has(r));
  const plan = timingPlan(timeBudgetMs, quick);
  const progress = options.onProgress ?? (() => {});

  // Start every contender first, so the report lists skipped ones even with no rows.
  const contenders: Contender[] = [];
  const infos: ContenderInfo[] = [];
  const add = (c: Contender | ContenderInfo) => {
    const info = 'info' in c ? c.info : c;
    if ('info' in c) contenders.push(c);
    infos.push(info);
    progress({ type: 'contender', contender: info });
  };
  for (const name of backendNames) {
    add(
      await createBackendContender(name, threads, {
        gpuTimestamps: options.gpuTimestamps ?? true,
        quickProbe: options.quickProbe ?? true,
        probeTimeoutMs: options.rowTimeoutMs ?? DEFAULT_ROW_TIMEOUT_MS,
      }),
    );
  }
  for (const name of peerNames) {
    if (!KNOWN_PEERS.includes(name)) {
      add({ id: name, kind: 'peer', label: name, available: false, reason: `unknown peer (known: ${KNOWN_PEERS.join(', ')})`, timing: 'wall', notes: [] });
      continue;
    }
    const made = name === 'ort-webgpu' ? await createOrtWebGpuContenders() : await createPeerContenders(name, threads);
    for (const c of made) add(c);
  }
  if (peerNames.includes('ort-webgpu') && contenders.some((c) => c.info.id === 'wasm' || c.info.id === 'ort-web')) {
    for (const c of contenders.filter((x) => x.info.id === 'wasm' || x.info.id.startsWith('ort-web-') || x.info.id === 'ort-web')) {
      c.info.notes.push('measured in a process running V8 with --liftoff-only (set for onnxruntime-web\u2019s WebGPU build): wasm code unoptimized');
    }
  }

  // The shared GPU, when the run has GPU rows or GPU contenders: its adapter, and for GPU
  // rows the device copy bandwidth they are judged against (measured at the start and the
  // end of the run; the better one is kept).
  let gpu: SharedGpu | null = null;
  let gpuInfo: GpuInfo | undefined;
  const wantsGpu = size === 'gpu' || backendNames.includes('webgpu') || peerNames.includes('ort-webgpu');
  if (wantsGpu) {
    try {
      gpu = await sharedGpu();
      gpuInfo = { description: gpu.description, software: gpu.software, features: gpu.features, limits: gpu.limits, copy: null };
    } catch (err) {
      gpuInfo = { description: 'none', software: false, features: [], limits: {}, copy: null, unavailable: reasonOf(err) };
    }
  }
  const deviceCopies: DeviceCopy[] = [];
  const measureDevice = async (when: 'start' | 'end') => {
    if (!gpu || size !== 'gpu' || rows.length === 0) return;
    try {
      const copy = await measureDeviceCopy(gpu, { bytes: options.deviceCopyBytes, budgetMs: quick ? 200 : 1000 });
      deviceCopies.push(copy);
      progress({ type: 'device-copy', when, copy });
    } catch (err) {
      if (gpuInfo) gpuInfo.unavailable = `device copy failed: ${reasonOf(err)}`;
    }
  };
  await measureDevice('start');

  // Outputs are compared with the float64 reference when the conformance kit is here, else
  // with cpu's (the plainest code) when it runs, else with the first backend's.
  const referenceModule = options.verify === false ? null : await loadReference();
  const referenceContender =
    contenders.find((c) => c.info.id === 'cpu')?.info.id ?? contenders.find((c) => c.info.kind === 'backend')?.info.id ?? contenders[0]?.info.id ?? null;
  const reference = referenceModule ? 'float64' : referenceContender;

  // The reference runs first on each row, so every other output can be compared with it.
  const runOrder = [...contenders].sort((a, b) => Number(b.info.id === referenceContender) - Number(a.info.id === referenceContender));
  const measuredRows: Array<{ row: BenchRow; results: Record<string, ContenderResult>; copy: CopyBaseline | null }> = [];
  const retired = new Map<Contender, string>();
  const rowTimeoutMs = options.rowTimeoutMs ?? DEFAULT_ROW_TIMEOUT_MS;
  let blocked = false;
  try {
    for (const [index, row] of rows.entries()) {
      progress({ type: 'row', row, index, total: rows.length });
      const results: Record<string, ContenderResult> = {};
      const report = (id: string, result: ContenderResult) => {
        results[id] = result;
        progress({ type: 'result', row, contender: id, result });
      };
      // Who can run this row at all: a row none can run never makes its (possibly huge) inputs.
      const late =
        options.deadlineSeconds !== undefined && (performance.now() - t0) / 1000 > options.deadlineSeconds
          ? `not run: the run's time limit (${options.deadlineSeconds} s) was reached`
          : null;
      const runnable: Contender[] = [];
      for (const c of runOrder) {
        if (!c.appliesTo(row)) continue;
        const why = late ?? retired.get(c) ?? c.fits?.(row) ?? null;
        if (why) report(c.info.id, { status: 'skipped', reason: why });
        else runnable.push(c);
      }
      let copy: CopyBaseline | null = null;
      if (runnable.length) {
        const inputs = makeInputs(row);
        let rowRef: RowReference | null = null;
        if (referenceModule) {
          try {
            rowRef = rowReference(referenceModule, row, inputs);
          } catch {
            // Without a reference for this row, outputs are compared with cpu's.
          }
        }
        const copyBefore = size === 'gpu' ? null : await measureCopy(row, plan);
        let refOutput: Float32Array | null = null;
        for (const c of runnable) {
          const compare = (output: Float32Array): Comparison => {
            if (rowRef) {
              const check = checkTolerance(output, rowRef);
              const of = rowRef.length ?? rowRef.values.length;
              return { maxAbsDiff: check.maxError, toleranceRatio: check.worstRatio, ...(check.checked < of ? { sampled: { checked: check.checked, of } } : {}) };
            }
            return { maxAbsDiff: refOutput ? maxAbsDiff(output, refOutput) : null, toleranceRatio: null };
          };
          const { result, output, timedOut } = await measureContender(c, row, inputs, plan, compare, rowTimeoutMs);
          if (timedOut) {
            // Its work may still be running (and queued work behind it): do not trust it again.
            retired.set(c, `not run: it timed out on ${row.title}`);
            c.info.notes.push(`timed out on ${row.title}; later rows not run`);
            // GPU work that never finishes blocks the shared device's queue for everyone:
            // then every GPU contender stops here instead of timing out row after row.
            if (gpu && GPU_CONTENDERS.test(c.info.id) && !(await queueDrains(gpu, QUEUE_DRAIN_MS))) {
              const why = `not run: the GPU queue is still blocked by ${c.info.id}'s work on ${row.title}`;
              for (const other of contenders) if (GPU_CONTENDERS.test(other.info.id) && !retired.has(other)) retired.set(other, why);
              if (gpuInfo) gpuInfo.unavailable = `queue blocked after ${c.info.id} timed out on ${row.title}`;
              blocked = true;
            }
          }
          if (c.info.id === referenceContender && output) refOutput = output;
          report(c.info.id, result);
        }
        if (copyBefore) {
          // The limit is the better of a copy before and one after the contenders: other
          // processes on a shared machine can only make a copy slower, never faster.
          const copyAfter = await measureCopy(row, plan);
          copy = copyBefore.gbps >= copyAfter.gbps ? copyBefore : copyAfter;
          progress({ type: 'copy', row, copy });
        }
      }
      for (const info of infos) {
        // The `-gqa` peer columns exist only on attention rows.
        if (!info.available && (row.op === 'gqa' || !info.id.endsWith('-gqa'))) {
          results[info.id] = { status: 'skipped', reason: info.reason ?? 'unavailable' };
        }
      }
      measuredRows.push({ row, results, copy });
    }
  } finally {
    for (const c of contenders) {
      try {
        await c.dispose();
      } catch {
        // A backend that fails to dispose does not invalidate the numbers.
      }
    }
  }
  if (!blocked) await measureDevice('end');
  const bestDevice = deviceCopies.reduce<DeviceCopy | null>((best, c) => (!best || c.gbps > best.gbps ? c : best), null);
  const deviceCopy = bestDevice ? deviceBaseline(bestDevice) : null;
  if (gpuInfo) gpuInfo.copy = deviceCopy;

  const software = gpu?.software ?? false;
  const rowReports: RowReport[] = measuredRows.map(({ row, results, copy }) => {
    const notes: string[] = [];
    if (row.size === 'gpu' && software) notes.push(SOFTWARE_ADAPTER_LABEL);
    if (row.reducedFrom) notes.push(`reduced from ${row.reducedFrom}`);
    return rowReport(row, results, infos, row.size === 'gpu' ? deviceCopy : copy, notes);
  });
  const targets = rows.flatMap((row, i) => row.targets.map((spec) => evaluateTarget(rowReports[i], spec, threads, software)));
  return {
    schema: REPORT_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: { ...machineInfo(options.machineNote), loadAverage: { start: round2(loadStart), end: round2(os.loadavg()[0]) } },
    options: {
      threads,
      timeBudgetMs,
      quick,
      filter: filterText(options.filter),
      exclude: filterText(options.exclude),
      backends: backendNames,
      peers: peerNames,
      ...(size !== 'default' ? { size } : {}),
    },
    ...(gpuInfo ? { gpu: gpuInfo } : {}),
    reference,
    contenders: infos,
    rows: rowReports,
    targets,
    elapsedSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
