/**
 * Long-context decode rows (`--size long`, issue #18): one decode step (one query) of GQA
 * 32/8/64 and 32/8/128, MHA 32/32/128 and MQA 32/1/128 over 2048, 8192, 32768 and 131072
 * keys, with f32 and f16 caches, on the wasm backend at 1 and 2 threads (one backend per
 * thread count, both in this process; cpu on request, 1 thread).
 *
 * Per row and contender: ms per call, ns per key (and its ratio to the same layout's,
 * dtype's and thread count's 2048-key row), K/V GB/s (K and V bytes in the cache's dtype,
 * read once), and that as a fraction of the **read bandwidth measured in the same process
 * beside the row**: a pass of loads over the same number of bytes, in wasm SIMD (the wasm
 * backend exports no read kernel, so {@link READ_KERNEL} is written out here): `N` worker
 * threads (`N` = the contender's threads) each run it over their share of one shared
 * `SharedMemory` of the K/V byte count; the main thread starts them with
 * `Atomics.notify` and waits for all. It is
 * measured before and after each contender's row, the better kept (other processes can only
 * slow a read down).
 *
 * Every output is checked against the float64 reference (`@llama-ops/conformance`, full or
 * on a deterministic sample of heads, as the other rows) before it is timed. A row whose
 * cache cannot fit in wasm32 memory (4 GiB) is reported as skipped with that reason.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createBackendContender } from './backends.js';
import { machineInfo, measureContender, type Comparison } from './bench.js';
import type { Contender } from './contender.js';
import type { MachineInfo } from './report.js';
import { LONG_KEYS, LONG_QUICK_KEYS, longRows, makeInputs, selectRows, type BenchRow, type GqaRowParams } from './rows.js';
import { gbPerSecond } from './stats.js';
import { measure, timingPlan, type TimingPlan } from './timing.js';
import { checkTolerance, loadReference, rowReference, type RowReference } from './verify.js';

/** Report schema of `--size long`. */
export const LONG_SCHEMA = 'llama-ops-bench-long/1';

/** Default timed budget per row and contender for the long rows, ms (quick: 20). */
export const LONG_TIME_BUDGET_MS = 600;

/** The thread counts every long row runs at. */
export const LONG_THREADS: readonly number[] = [1, 2];

/** wasm32's memory: 65536 pages of 64 KiB. */
const WASM32_BYTES = 2 ** 32;

/** One row on one contender (`wasm` at 1 thread is `wasm×1`). */
export interface LongResult {
  rowId: string;
  title: string;
  /** `32/8/128` and its class (GQA, MHA, MQA). */
  layout: string;
  layoutClass: 'GQA' | 'MHA' | 'MQA';
  keys: number;
  dtype: 'f32' | 'f16';
  backend: string;
  threads: number;
  status: 'ok' | 'skipped' | 'failed';
  /** Why skipped or failed. */
  reason?: string;
  /** Bytes of K and V in the cache's dtype (read once per call). */
  kvBytes: number;
  /** Median ms per call. */
  ms?: number;
  /** ms per call over keys, in ns. */
  nsPerKey?: number;
  /** nsPerKey over the same layout's, dtype's, backend's and threads' first-size (2048) row. */
  vsBase?: number;
  /** K/V bytes over the median time. */
  kvGbps?: number;
  /** The read pass of the same bytes at the same thread count, beside this row. */
  readGbps?: number;
  /** kvGbps / readGbps. */
  fraction?: number;
  /** Largest |error| against the float64 reference, and error over SPEC's bound. */
  maxAbsDiff?: number | null;
  toleranceRatio?: number | null;
  /** Elements checked of the output (sampled above the full-check size). */
  checked?: string;
  samples?: number;
}

/** One of the targets on one row. */
export interface LongTarget {
  /** `ns/key`, `MHA f32 read fraction`, `2 threads read fraction`, `f16 speed-up`. */
  target: string;
  row: string;
  contender: string;
  value: number | null;
  /** `≤ 1.3`, `≥ 0.70`... */
  needed: string;
  verdict: 'met' | 'not met' | 'n/a';
  /** Why n/a. */
  why?: string;
}

/** A `--size long` run. */
export interface LongReport {
  schema: typeof LONG_SCHEMA;
  createdAt: string;
  machine: MachineInfo;
  options: { quick: boolean; timeBudgetMs: number; backends: string[]; threads: number[]; keys: number[] };
  /** How the read baseline is measured. */
  readBaseline: string;
  reference: 'float64' | 'none';
  results: LongResult[];
  targets: LongTarget[];
  elapsedSeconds: number;
}

/** Progress of {@link runLongDecode}. */
export type LongProgress = { type: 'start'; what: string } | { type: 'result'; result: LongResult };

/** Options of {@link runLongDecode}. */
export interface LongOptions {
  /** Backends (default `['wasm']`; `cpu` runs at 1 thread only). */
  backends?: readonly string[];
  /** Reduced key counts (256, 1024) and a tiny budget: proves everything runs. */
  quick?: boolean;
  timeBudgetMs?: number;
  filter?: string | readonly string[];
  exclude?: string | readonly string[];
  /** Run the conformance quick probe on each backend first (default: not in quick mode). */
  quickProbe?: boolean;
  rowTimeoutMs?: number;
  machineNote?: string;
  onProgress?: (e: LongProgress) => void;
}

/**
 * The read kernel, a wasm module written out here (the wasm backend exports none):
 * `sum(p, end)` loads 64 bytes per iteration into four `f32x4` accumulators (`v128.load`,
 * `f32x4.add`) from `p` to `end` of an imported shared memory, and returns lane 0 of their sum.
 */
const READ_BODY = [
  0x01, 0x04, 0x7b, // 4 locals of v128 (the accumulators, locals 2-5)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // p >= end: break
  // acc[i] = f32x4.add(acc[i], v128.load offset=16*i (p))
  ...[0, 16, 32, 48].flatMap((offset, i) => [0x20, 2 + i, 0x20, 0x00, 0xfd, 0x00, 0x04, offset, 0xfd, 0xe4, 0x01, 0x21, 2 + i]),
  0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x00, // p += 64
  0x0c, 0x00, 0x0b, 0x0b, // br loop; end; end
  // lane 0 of acc0 + acc1 + acc2 + acc3
  0x20, 0x02, 0x20, 0x03, 0xfd, 0xe4, 0x01, 0x20, 0x04, 0xfd, 0xe4, 0x01, 0x20, 0x05, 0xfd, 0xe4, 0x01, 0xfd, 0x1f, 0x00,
  0x0b,
];
/** The module: type (i32, i32) -> f32; import `e.m`, a shared memory of 1 to 65536 pages; export `sum`. */
export const READ_KERNEL = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7d,
  0x02, 0x0b, 0x01, 0x01, 0x65, 0x01, 0x6d, 0x02, 0x03, 0x01, 0x80, 0x80, 0x04,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x00,
  0x0a, READ_BODY.length + 2, 0x01, READ_BODY.length, ...READ_BODY,
]);

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.ctl);
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(workerData.kernel), { e: { m: workerData.memory } });
const per = Math.ceil(workerData.bytes / workerData.count / 64) * 64;
const start = Math.min(workerData.bytes, workerData.index * per);
const end = Math.min(workerData.bytes, start + per);
let seen = 0;
let sink = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 2) === 1) break;
  sink += exports.sum(start, end);
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
if (sink === 12345.678) console.log(sink);
`;

const PAGE = 65536;

/** A shared wasm memory (the bench's tsconfig has no DOM lib, so the WebAssembly API is typed here). */
interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
}
const Wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => SharedMemory } }).WebAssembly;

/**
 * The read baseline: `threads` worker threads each run {@link READ_KERNEL} (wasm SIMD loads)
 * over their share of one shared `WebAssembly.Memory` holding `bytes`, started with Atomics
 * by the main thread, which waits for all of them.
 */
export class ReadPass {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16));
  private readonly workers: Worker[];
  private constructor(readonly bytes: number, readonly threads: number, memory: SharedMemory) {
    this.workers = Array.from(
      { length: threads },
      (_, index) => new Worker(WORKER_SOURCE, { eval: true, workerData: { ctl: this.ctl.buffer, kernel: READ_KERNEL, memory, bytes, index, count: threads } }),
    );
  }

  /** A read pass over `bytes` (rounded up to 64) with `threads` workers, on `memory` or a new one. */
  static create(bytes: number, threads: number, memory?: SharedMemory): ReadPass {
    const m = memory ?? ReadPass.memory(bytes);
    return new ReadPass(Math.ceil(bytes / 64) * 64, threads, m);
  }

  /** A shared wasm memory of at least `bytes`, filled with ones (every page touched). */
  static memory(bytes: number): SharedMemory {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    if (pages > 65536) throw new RangeError(`${bytes} bytes exceed wasm32's 4 GiB`);
    const memory = new Wasm.Memory({ initial: pages, maximum: pages, shared: true });
    new Float32Array(memory.buffer).fill(1);
    return memory;
  }

  /** One pass: every worker reads its share; returns when all are done. */
  run(): void {
    const n = this.threads;
    Atomics.store(this.ctl, 1, 0);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    for (let done = Atomics.load(this.ctl, 1); done < n; done = Atomics.load(this.ctl, 1)) Atomics.wait(this.ctl, 1, done, 1000);
  }

  /** The pass's bandwidth (GB/s, median of the plan's samples). */
  async gbps(plan: TimingPlan): Promise<number> {
    const stats = await measure(() => this.run(), plan);
    return gbPerSecond(this.bytes, stats.medianMs);
  }

  async close(): Promise<void> {
    Atomics.store(this.ctl, 2, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Bytes of K and V of a decode row, in its dtype. */
export function kvBytesOf(row: BenchRow): number {
  const p = row.params as GqaRowParams;
  return (row.dtype === 'f16' ? 2 : 4) * 2 * p.batch * p.seqKV * p.headsKV * p.headDim;
}

const layoutOf = (p: GqaRowParams) => `${p.headsQ}/${p.headsKV}/${p.headDim}`;
const classOf = (p: GqaRowParams): LongResult['layoutClass'] => (p.headsQ === p.headsKV ? 'MHA' : p.headsKV === 1 ? 'MQA' : 'GQA');
const GiB = 2 ** 30;
const fmtBytes = (b: number) => (b >= GiB ? `${+(b / GiB).toFixed(2)} GiB` : `${+(b / 2 ** 20).toFixed(1)} MiB`);

/** Why `row` cannot run in wasm32 memory (K, V, q and the output together past 4 GiB), or null. */
export function wasmMemoryReason(row: BenchRow): string | null {
  const kv = kvBytesOf(row);
  const total = row.bytes;
  if (total < WASM32_BYTES) return null;
  return `K and V take ${fmtBytes(kv)} in ${row.dtype}: more than wasm32's 4 GiB memory (65536 pages of 64 KiB) can hold`;
}

/** Judge the targets on the measured results. */
export function evaluateLongTargets(results: readonly LongResult[], keys: readonly number[], quick: boolean): LongTarget[] {
  const ok = results.filter((r) => r.status === 'ok' && r.backend === 'wasm');
  const base = keys[0];
  const longKeys = quick ? keys.slice(1) : keys.filter((k) => k >= 32768);
  const from8192 = quick ? keys.slice(1) : keys.filter((k) => k >= 8192);
  const f16Keys = quick ? keys[keys.length - 1] : 32768;
  const targets: LongTarget[] = [];
  const verdict = (value: number | null | undefined, pass: (v: number) => boolean): LongTarget['verdict'] =>
    quick || value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : pass(value) ? 'met' : 'not met';
  const why = quick ? 'quick run: reduced shapes, not judged' : undefined;
  const label = (r: LongResult) => `${r.layoutClass} ${r.layout} over ${r.keys} ${r.dtype}`;
  const add = (t: Omit<LongTarget, 'verdict' | 'why'>, pass: (v: number) => boolean) => {
    const v = verdict(t.value, pass);
    targets.push({ ...t, verdict: v, ...(v === 'n/a' ? { why: why ?? 'not measured' } : {}) });
  };
  // 1. ns per key within 1.3x of the 2048-key row (1 thread, per layout class and dtype).
  for (const r of ok.filter((x) => x.threads === 1 && longKeys.includes(x.keys))) {
    add({ target: `ns/key vs ${base} keys (1 thread)`, row: label(r), contender: `wasm×1`, value: r.vsBase ?? null, needed: '≤ 1.3' }, (v) => v <= 1.3);
  }
  // 2. Memory-bound rows (MHA, f32): at least 70 % of the read bandwidth (1 thread).
  for (const r of ok.filter((x) => x.threads === 1 && x.layoutClass === 'MHA' && x.dtype === 'f32')) {
    add({ target: 'MHA f32: K/V GB/s / read GB/s (1 thread)', row: label(r), contender: 'wasm×1', value: r.fraction ?? null, needed: '≥ 0.70' }, (v) => v >= 0.7);
  }
  // 3. 2 threads: every row at >= 8192 keys at least 80 % of the 2-thread read bandwidth.
  for (const r of ok.filter((x) => x.threads === 2 && from8192.includes(x.keys))) {
    add({ target: 'K/V GB/s / 2-thread read GB/s (2 threads)', row: label(r), contender: 'wasm×2', value: r.fraction ?? null, needed: '≥ 0.80' }, (v) => v >= 0.8);
  }
  // 4. f16 cache at least 1.6x faster than f32 on the memory-bound (MHA) rows at 32768 keys.
  for (const threads of LONG_THREADS) {
    for (const f32 of ok.filter((x) => x.threads === threads && x.layoutClass === 'MHA' && x.dtype === 'f32' && x.keys === f16Keys)) {
      const f16 = ok.find((x) => x.threads === threads && x.layout === f32.layout && x.dtype === 'f16' && x.keys === f16Keys);
      const value = f16?.ms && f32.ms ? f32.ms / f16.ms : null;
      add(
        { target: `f16 speed-up over f32 (${threads} thread${threads > 1 ? 's' : ''})`, row: `MHA ${f32.layout} over ${f16Keys}`, contender: `wasm×${threads}`, value, needed: '≥ 1.6' },
        (v) => v >= 1.6,
      );
    }
  }
  return targets;
}

/**
 * Run the long-context decode rows (`--size long`).
 * @example
 * const report = await runLongDecode({ quick: true });
 * console.log(formatLongMarkdown(report));
 */
export async function runLongDecode(options: LongOptions = {}): Promise<LongReport> {
  const t0 = performance.now();
  const loadStart = os.loadavg()[0];
  const quick = options.quick ?? false;
  const timeBudgetMs = options.timeBudgetMs ?? (quick ? 20 : LONG_TIME_BUDGET_MS);
  const backends = [...(options.backends ?? ['wasm'])];
  const keys = quick ? LONG_QUICK_KEYS : LONG_KEYS;
  const progress = options.onProgress ?? (() => {});
  const rowTimeoutMs = options.rowTimeoutMs ?? 300_000;
  const all = longRows(quick);
  const excluded = new Set(options.exclude === undefined ? [] : selectRows(options.exclude as string[], all));
  const rows = selectRows(options.filter as string[] | undefined, all).filter((r) => !excluded.has(r));
  const plan = timingPlan(timeBudgetMs, quick);

  // One contender per backend and thread count (cpu is single-threaded).
  const contenders: Array<{ id: string; backend: string; threads: number; c: Contender | null; reason?: string }> = [];
  for (const backend of backends) {
    for (const threads of backend === 'cpu' ? [1] : LONG_THREADS) {
      const id = `${backend}×${threads}`;
      progress({ type: 'start', what: `${id}: starting` });
      const made = await createBackendContender(backend, threads, { gpuTimestamps: false, quickProbe: options.quickProbe ?? !quick, probeTimeoutMs: 120_000 });
      if ('prepare' in made) {
        const inForce = made.info.threads;
        if (inForce !== undefined && inForce !== threads) made.info.notes.push(`${inForce} threads in force`);
        contenders.push({ id, backend, threads, c: made });
      } else contenders.push({ id, backend, threads, c: null, reason: made.reason ?? 'unavailable' });
    }
  }

  const referenceModule = await loadReference();
  const results: LongResult[] = [];
  const readPasses = new Map<number, ReadPass>();
  try {
    for (const row of rows) {
      const p = row.params as GqaRowParams;
      const kvBytes = kvBytesOf(row);
      const common = { rowId: row.id, title: row.title, layout: layoutOf(p), layoutClass: classOf(p), keys: p.seqKV, dtype: row.dtype, kvBytes };
      const emit = (r: LongResult) => {
        results.push(r);
        progress({ type: 'result', result: r });
      };
      const runnable: typeof contenders = [];
      for (const x of contenders) {
        const base = { ...common, backend: x.backend, threads: x.threads };
        const why = x.c ? (x.backend === 'wasm' ? wasmMemoryReason(row) : null) ?? x.c.fits?.(row) ?? null : x.reason ?? 'unavailable';
        if (why) emit({ ...base, status: 'skipped', reason: why });
        else runnable.push(x);
      }
      if (!runnable.length) continue;
      progress({ type: 'start', what: `${row.title} (${fmtBytes(kvBytes)} of K/V, at ${((performance.now() - t0) / 1000).toFixed(0)} s)` });
      const inputs = makeInputs(row);
      let ref: RowReference | null = null;
      try {
        ref = referenceModule ? rowReference(referenceModule, row, inputs) : null;
      } catch {
        ref = null;
      }
      const compare = (output: Float32Array): Comparison => {
        if (!ref) return { maxAbsDiff: null, toleranceRatio: null };
        const check = checkTolerance(output, ref);
        const of = ref.length ?? ref.values.length;
        return { maxAbsDiff: check.maxError, toleranceRatio: check.worstRatio, ...(check.checked < of ? { sampled: { checked: check.checked, of } } : {}) };
      };
      // The read passes of this row's K/V bytes: one buffer, one pass per thread count.
      for (const rp of readPasses.values()) await rp.close();
      readPasses.clear();
      const memory = ReadPass.memory(kvBytes);
      // Rows of hundreds of MB take a few calls per sample: fewer samples keep the run short.
      const rowPlan: TimingPlan = kvBytes >= 256 * 2 ** 20 ? { ...plan, minSamples: Math.min(plan.minSamples, 3), warmupCalls: 1 } : plan;
      for (const x of runnable) {
        let rp = readPasses.get(x.threads);
        if (!rp) {
          rp = ReadPass.create(kvBytes, x.threads, memory);
          readPasses.set(x.threads, rp);
        }
        const before = await rp.gbps(rowPlan);
        const { result } = await measureContender(x.c as Contender, row, inputs, rowPlan, compare, rowTimeoutMs);
        const after = await rp.gbps(rowPlan);
        const readGbps = Math.max(before, after);
        const base: LongResult = { ...common, backend: x.backend, threads: x.threads, status: result.status, readGbps };
        if (result.status !== 'ok') {
          emit({ ...base, reason: result.reason, ...('maxAbsDiff' in result ? { maxAbsDiff: result.maxAbsDiff ?? null } : {}) });
          continue;
        }
        const ms = result.stats.medianMs;
        const nsPerKey = (ms * 1e6) / p.seqKV;
        const kvGbps = gbPerSecond(kvBytes, ms);
        const first = results.find(
          (r) => r.status === 'ok' && r.keys === keys[0] && r.layout === common.layout && r.dtype === row.dtype && r.backend === x.backend && r.threads === x.threads,
        );
        emit({
          ...base,
          ms,
          nsPerKey,
          ...(first?.nsPerKey ? { vsBase: nsPerKey / first.nsPerKey } : {}),
          kvGbps,
          fraction: kvGbps / readGbps,
          maxAbsDiff: result.maxAbsDiff,
          toleranceRatio: result.toleranceRatio,
          checked: result.sampled ? `${result.sampled.checked} of ${result.sampled.of} (sampled heads)` : 'all',
          samples: result.stats.samples,
        });
      }
    }
  } finally {
    for (const rp of readPasses.values()) await rp.close();
    for (const x of contenders) {
      try {
        await x.c?.dispose();
      } catch {
        // A backend that fails to dispose does not invalidate the numbers.
      }
    }
  }
  return {
    schema: LONG_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: { ...machineInfo(options.machineNote), loadAverage: { start: Math.round(loadStart * 100) / 100, end: Math.round(os.loadavg()[0] * 100) / 100 } },
    options: { quick, timeBudgetMs, backends, threads: [...LONG_THREADS], keys: [...keys] },
    readBaseline:
      'a wasm SIMD read pass (the wasm backend exports no read kernel, so the bench carries its own: v128.load into four f32x4.add accumulators, 64 bytes per iteration) over a shared WebAssembly.Memory holding the row\u2019s K/V byte count, run by N worker threads (N = the row\u2019s thread count, each over its contiguous share), started by the main thread with Atomics.notify, which waits for all of them. Measured before and after each contender on each row, the better kept.',
    reference: referenceModule ? 'float64' : 'none',
    results,
    targets: evaluateLongTargets(results, keys, quick),
    elapsedSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

const num = (x: number | undefined | null, digits = 2) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${Math.round(x * 100)} %`);

/** The columns of the long rows' table (tests check them). */
export const LONG_COLUMNS = ['layout', 'keys', 'cache', 'threads', 'K/V', 'ms', 'ns/key', `ns/key ÷ first`, 'K/V GB/s', 'read GB/s', 'of read', 'check', 'status'] as const;

/** The markdown of a `--size long` report: the rows table, then the targets table. */
export function formatLongMarkdown(report: LongReport): string {
  const m = report.machine;
  const base = report.options.keys[0];
  const out: string[] = [];
  out.push(`# Long-context decode rows (\`--size long\`)${report.options.quick ? ' — quick (reduced shapes)' : ''}`, '');
  out.push(
    `${report.createdAt}; ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; load average ${m.loadAverage?.start ?? '?'} → ${m.loadAverage?.end ?? '?'}; ${report.elapsedSeconds} s.`,
  );
  if (m.note) out.push('', `Note: ${m.note}`);
  out.push(
    '',
    `One decode step (one query, batch 1) per call; backends ${report.options.backends.join(', ')} at ${report.options.threads.join(' and ')} thread(s); timed budget ${report.options.timeBudgetMs} ms per row and contender. ` +
      `**ns/key** = ms per call / keys; **ns/key ÷ first** = that over the same layout's, cache's and thread count's ${base}-key row. **K/V GB/s** = bytes of K and V in the cache's dtype / ms. ` +
      `**read GB/s**: ${report.readBaseline} **of read** = K/V GB/s / read GB/s. Outputs checked against the ${report.reference} reference before timing (**check** = largest error / SPEC's bound).`,
    '',
  );
  out.push(`| ${LONG_COLUMNS.join(' | ')} |`, `|${LONG_COLUMNS.map((_, i) => (i < 5 || i >= 11 ? '---' : '---:')).join('|')}|`);
  for (const r of report.results) {
    const contender = r.backend === 'wasm' ? `${r.threads}` : `${r.threads} (${r.backend})`;
    const status = r.status === 'ok' ? 'ok' : `${r.status}: ${r.reason ?? ''}`.replace(/\|/g, '\\|');
    out.push(
      `| ${r.layoutClass} ${r.layout} | ${r.keys} | ${r.dtype} | ${contender} | ${fmtBytes(r.kvBytes)} | ${num(r.ms, 3)} | ${num(r.nsPerKey, 1)} | ${r.keys === base && r.status === 'ok' ? '1 (base)' : num(r.vsBase)} | ${num(r.kvGbps, 1)} | ${num(r.readGbps, 1)} | ${pct(r.fraction)} | ${num(r.toleranceRatio, 3)} | ${status} |`,
    );
  }
  out.push('', '## Targets (issue #18)', '');
  const met = report.targets.filter((t) => t.verdict === 'met').length;
  const notMet = report.targets.filter((t) => t.verdict === 'not met').length;
  out.push(`${met} met, ${notMet} not met, ${report.targets.length - met - notMet} n/a.`, '');
  out.push('| target | row | contender | value | needed | verdict |', '|---|---|---|---:|---|---|');
  for (const t of report.targets) {
    const v = t.verdict === 'met' ? '✅ met' : t.verdict === 'not met' ? '❌ not met' : `n/a (${t.why ?? ''})`;
    out.push(`| ${t.target} | ${t.row} | ${t.contender} | ${num(t.value)} | ${t.needed} | ${v} |`);
  }
  return `${out.join('\n')}\n`;
}
