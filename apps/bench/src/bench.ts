/**
 * runBench: every selected row on every available contender, one contender at a time (2
 * shared cores: nothing runs concurrently), plus the copy baseline of the same byte count
 * measured in the same process. A contender that cannot start or cannot run a row is
 * reported as skipped with its reason; nothing it does crashes the run.
 */
import os from 'node:os';
import { createBackendContender, BACKEND_NAMES } from './backends.js';
import { reasonOf, type Contender } from './contender.js';
import { createPeerContenders, PEER_NAMES } from './peers.js';
import {
  evaluateTarget,
  measured,
  REPORT_SCHEMA,
  rowReport,
  type BenchReport,
  type ContenderInfo,
  type ContenderResult,
  type CopyBaseline,
  type MachineInfo,
  type PeerName,
  type RowReport,
} from './report.js';
import { makeInputs, selectRows, type BenchRow } from './rows.js';
import { checksum, gbPerSecond, maxAbsDiff } from './stats.js';
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
  | { type: 'copy'; row: BenchRow; copy: CopyBaseline };

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Our backends to measure (default `['cpu', 'wasm', 'webgpu']`). */
  backends?: readonly string[];
  /** Peers to measure (default both: `['ort-web', 'ort-node']`); `[]` for none. */
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
  /** Time WebGPU by GPU timestamps when the backend exposes them (default true); false: wall time around sync. */
  gpuTimestamps?: boolean;
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

async function measureContender(
  c: Contender,
  row: BenchRow,
  inputs: ReturnType<typeof makeInputs>,
  plan: TimingPlan,
  compare: (output: Float32Array) => { maxAbsDiff: number | null; toleranceRatio: number | null },
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
        // The first call is read back (checksum, cross-check) and also warms up. A call much
        // longer than the budget (software GPU, slow peer) is then timed with fewer samples.
        const t0 = performance.now();
        const output = concat(await s.outputs());
        const firstMs = performance.now() - t0;
        const slow = firstMs > Math.max(5000, 3 * plan.budgetMs);
        const stats = await measure(s.call, slow ? { ...plan, warmupCalls: 0, minSamples: Math.min(plan.minSamples, 3) } : plan);
        return {
          result: measured(row, stats, checksum(output), { ...compare(output), opName: s.opName }),
          output,
          timedOut: false,
        };
      })(),
      limit,
    ]);
  } catch (err) {
    timedOut = err instanceof RowTimeout;
    return { result: { status: 'skipped', reason: `failed: ${reasonOf(err)}` }, output: null, timedOut };
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

/**
 * Run the benchmark.
 * @example
 * const report = await runBench({ backends: ['cpu', 'wasm'], threads: 1, filter: 'rmsnorm' });
 * console.log(formatMarkdown(report));
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const t0 = performance.now();
  const loadStart = os.loadavg()[0];
  const quick = options.quick ?? false;
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const timeBudgetMs = options.timeBudgetMs ?? (quick ? QUICK_TIME_BUDGET_MS : DEFAULT_TIME_BUDGET_MS);
  const backendNames = [...(options.backends ?? BACKEND_NAMES)];
  const peerNames = [...(options.peers ?? PEER_NAMES)];
  const excluded = options.exclude === undefined ? new Set<BenchRow>() : new Set(selectRows(options.exclude));
  const rows = options.rows ? [...options.rows] : selectRows(options.filter).filter((r) => !excluded.has(r));
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
  for (const name of backendNames) add(await createBackendContender(name, threads, options.gpuTimestamps ?? true));
  for (const name of peerNames) {
    if (!PEER_NAMES.includes(name)) {
      add({ id: name, kind: 'peer', label: name, available: false, reason: `unknown peer (known: ${PEER_NAMES.join(', ')})`, timing: 'wall', notes: [] });
      continue;
    }
    for (const c of await createPeerContenders(name, threads)) add(c);
  }
  // Outputs are compared with the float64 reference when the conformance kit is here, else
  // with cpu's (the plainest code) when it runs, else with the first backend's.
  const referenceModule = options.verify === false ? null : await loadReference();
  const referenceContender =
    contenders.find((c) => c.info.id === 'cpu')?.info.id ?? contenders.find((c) => c.info.kind === 'backend')?.info.id ?? contenders[0]?.info.id ?? null;
  const reference = referenceModule ? 'float64' : referenceContender;

  // The reference runs first on each row, so every other output can be compared with it.
  const runOrder = [...contenders].sort((a, b) => Number(b.info.id === referenceContender) - Number(a.info.id === referenceContender));
  const rowReports: RowReport[] = [];
  const retired = new Map<Contender, string>();
  const rowTimeoutMs = options.rowTimeoutMs ?? DEFAULT_ROW_TIMEOUT_MS;
  try {
    for (const [index, row] of rows.entries()) {
      progress({ type: 'row', row, index, total: rows.length });
      const inputs = makeInputs(row);
      let rowRef: RowReference | null = null;
      if (referenceModule) {
        try {
          rowRef = rowReference(referenceModule, row, inputs);
        } catch {
          // Without a reference for this row, outputs are compared with cpu's.
        }
      }
      const copyBefore = await measureCopy(row, plan);
      const results: Record<string, ContenderResult> = {};
      let refOutput: Float32Array | null = null;
      for (const c of runOrder) {
        if (!c.appliesTo(row)) continue;
        const why = retired.get(c);
        if (why) {
          results[c.info.id] = { status: 'skipped', reason: why };
          progress({ type: 'result', row, contender: c.info.id, result: results[c.info.id] });
          continue;
        }
        const compare = (output: Float32Array) => {
          if (rowRef) {
            const check = checkTolerance(output, rowRef);
            return { maxAbsDiff: check.maxError, toleranceRatio: check.worstRatio };
          }
          return { maxAbsDiff: refOutput ? maxAbsDiff(output, refOutput) : null, toleranceRatio: null };
        };
        const { result, output, timedOut } = await measureContender(c, row, inputs, plan, compare, rowTimeoutMs);
        if (timedOut) {
          // Its work may still be running (and queued work behind it): do not trust it again.
          retired.set(c, `not run: it timed out on ${row.title}`);
          c.info.notes.push(`timed out on ${row.title}; later rows not run`);
        }
        if (c.info.id === referenceContender && output) refOutput = output;
        results[c.info.id] = result;
        progress({ type: 'result', row, contender: c.info.id, result });
      }
      for (const info of infos) {
        // The `-gqa` peer columns exist only on attention rows.
        if (!info.available && (row.op === 'gqa' || !info.id.endsWith('-gqa'))) {
          results[info.id] = { status: 'skipped', reason: info.reason ?? 'unavailable' };
        }
      }
      // The limit is the better of a copy before and one after the contenders: other
      // processes on a shared machine can only make a copy slower, never faster.
      const copyAfter = await measureCopy(row, plan);
      const copy = copyBefore.gbps >= copyAfter.gbps ? copyBefore : copyAfter;
      progress({ type: 'copy', row, copy });
      rowReports.push(rowReport(row, results, infos, copy));
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

  const targets = rows.flatMap((row, i) => row.targets.map((spec) => evaluateTarget(rowReports[i], spec, threads)));
  return {
    schema: REPORT_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: { ...machineInfo(options.machineNote), loadAverage: { start: round2(loadStart), end: round2(os.loadavg()[0]) } },
    options: { threads, timeBudgetMs, quick, filter: filterText(options.filter), exclude: filterText(options.exclude), backends: backendNames, peers: peerNames },
    reference,
    contenders: infos,
    rows: rowReports,
    targets,
    elapsedSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
