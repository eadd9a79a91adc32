/**
 * The shape of a benchmark report (what `--json` prints and bench.json holds), and the
 * pure functions that turn measurements into throughputs, ratios and target verdicts.
 */
import type { BenchDType, BenchOp, BenchRow, BenchSize, TargetSpec } from './rows.js';
import { gbPerSecond, gflopPerSecond, speedup, type TimingStats } from './stats.js';

/** Version tag of the JSON layout. */
export const REPORT_SCHEMA = 'llama-ops-bench/1';

/**
 * Ids of the ORT peers: onnxruntime-web (WASM EP, in Node), onnxruntime-node (native CPU EP),
 * and onnxruntime-web's WebGPU EP on the same device as our webgpu backend.
 */
export type PeerName = 'ort-web' | 'ort-node' | 'ort-webgpu';

/** Who is measured: one of our backends, an ORT peer, or the copy baseline. */
export interface ContenderInfo {
  /**
   * Column id: a backend name (`cpu`, `wasm`, `webgpu`), a peer (`ort-web`, `ort-node`,
   * `ort-webgpu`), or a peer's second attention op (`ort-web-gqa`, `ort-node-gqa`,
   * `ort-webgpu-gqa`: com.microsoft.GroupQueryAttention; the plain peer id runs ONNX
   * `Attention` on attention rows).
   */
  id: string;
  kind: 'backend' | 'peer';
  /** Display name, e.g. `wasm (SIMD, 1 thread)`, `onnxruntime-web 1.30.0 (WASM EP)`. */
  label: string;
  available: boolean;
  /** Why it was skipped (not installed, failed to start...). */
  reason?: string;
  /** Threads in force, when known. */
  threads?: number;
  /** `gpu-timestamps`: device time per pass from timestamp queries; `wall`: host wall time around a sync. */
  timing: 'wall' | 'gpu-timestamps';
  /** True for a software GPU (lavapipe, SwiftShader): its numbers only prove it runs. */
  software?: boolean;
  /** Anything a reader of the numbers should know. */
  notes: string[];
  /**
   * The conformance kit's quick probe on this backend (backends only), run through
   * `chooseBackend` before any row: a backend that fails it is not benchmarked. `ms` is the
   * cold probe in this process (GPU pipeline compilation included).
   */
  quickProbe?: QuickProbe;
}

/** Outcome and time of the quick conformance probe on one backend. */
export interface QuickProbe {
  ok: boolean;
  /** Milliseconds of the probe (wall, cold: first run in this process). */
  ms: number;
  /** Cases it ran (those of the dtypes the backend stores). */
  cases: number;
  /** The failing case and its error. */
  reason?: string;
}

/** A contender's measurement on one row. */
export interface Measured {
  status: 'ok';
  stats: TimingStats;
  /** `row.bytes / median`. */
  gbps: number;
  /** `row.flops / median` (attention rows), else null. */
  gflops: number | null;
  /** Sum and absolute sum of the outputs of one call (every output, in order). */
  checksum: { sum: number; absSum: number; finite: boolean };
  /**
   * Largest |difference| from the reference outputs (`report.reference`: the float64
   * reference of the conformance kit, or else the cpu backend's outputs), when available.
   */
  maxAbsDiff: number | null;
  /**
   * Against the float64 reference: the worst `|error| / bound` over elements, with SPEC.md's
   * f32 bounds (at most 1: every element within tolerance). Null without the reference.
   */
  toleranceRatio: number | null;
  /**
   * Output elements compared with the float64 reference, when that was a sample (large GPU
   * rows): `of` is the output's length. Absent when every element was compared.
   */
  sampled?: { checked: number; of: number };
  /** Op used (peers): e.g. `RMSNormalization`, `Attention`. */
  opName?: string;
}

/** A contender that could not run a row (not supported, too large, cannot start), and why. */
export interface Skipped {
  status: 'skipped';
  reason: string;
}

/**
 * A contender that ran a row and failed: it threw, timed out, or its outputs were outside
 * SPEC.md's tolerance of the float64 reference. A failed contender is never timed.
 */
export interface Failed {
  status: 'failed';
  reason: string;
  /** Largest |error| of the checked outputs, when they were compared. */
  maxAbsDiff?: number | null;
  /** Worst error / bound, when compared with the float64 reference. */
  toleranceRatio?: number | null;
}

export type ContenderResult = Measured | Skipped | Failed;

/**
 * The copy baseline of a row. Host rows: `TypedArray.set` of half the row's bytes (so read +
 * written = `row.bytes`), measured around the row. GPU rows: the device's
 * `copyBufferToBuffer` bandwidth, measured once at the start and once at the end of the run.
 */
export interface CopyBaseline {
  stats: TimingStats;
  gbps: number;
  /** `host` (TypedArray.set, default) or `device` (copyBufferToBuffer on the GPU). */
  source?: 'host' | 'device';
  /** Device copies: the size of one copy in bytes. */
  bufferBytes?: number;
}

/** The GPU of a run with GPU contenders or GPU rows. */
export interface GpuInfo {
  /** Adapter, e.g. `nvidia hopper NVIDIA H200`. */
  description: string;
  software: boolean;
  features: string[];
  limits: Record<string, number>;
  /** The device copy bandwidth GPU rows are judged against (null when it could not be measured). */
  copy: CopyBaseline | null;
  /** Why there is no GPU, when the run wanted one. */
  unavailable?: string;
}

/** `subject` vs `peer` on one row: `speedup > 1` means `subject` is faster. */
export interface Ratio {
  subject: string;
  peer: string;
  /** Peer's median time / subject's median time. */
  speedup: number;
}

/** Everything measured on one row. */
export interface RowReport {
  id: string;
  op: BenchOp;
  group: BenchRow['group'];
  title: string;
  /** Storage dtype (absent in reports before GPU rows: f32). */
  dtype?: BenchDType;
  /** Row set (absent: `default`). */
  size?: BenchSize;
  /** Quick-mode stand-in: the full row it replaces. */
  reducedFrom?: string;
  /** What a reader must know about this row's numbers (e.g. measured on a software adapter). */
  notes?: string[];
  bytes: number;
  flops: number | null;
  metric: BenchRow['metric'];
  copy: CopyBaseline | null;
  /** By contender id; a contender that does not apply to this row has no entry. */
  results: Record<string, ContenderResult>;
  /** Every backend against every peer that both ran. */
  ratios: Ratio[];
  /** Each backend's GB/s as a fraction of the copy bandwidth of the same bytes. */
  copyFraction: Record<string, number>;
}

/** A target from the issue, judged on one row. */
export interface TargetResult {
  rowId: string;
  rowTitle: string;
  spec: TargetSpec;
  /** E.g. `wasm >= 1.5x ort-web`. */
  description: string;
  /** The measured ratio / fraction, or null when it could not be measured. */
  measured: number | null;
  /** `met`, `not met`, or `n/a` (a side skipped, or the run's thread count differs). */
  status: 'met' | 'not met' | 'n/a';
  /** Why `n/a`. */
  reason?: string;
}

/** The machine the numbers come from. */
export interface MachineInfo {
  platform: string;
  arch: string;
  cpuModel: string;
  /** Logical cores Node sees. */
  cores: number;
  memoryGiB: number;
  node: string;
  /** Free text, e.g. `2 cores shared, no GPU`. */
  note?: string;
  /** 1-minute load average at the start and the end of the run (other processes compete for the cores). */
  loadAverage?: { start: number; end: number };
}

/** A full benchmark run. */
export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  createdAt: string;
  machine: MachineInfo;
  options: {
    threads: number;
    timeBudgetMs: number;
    quick: boolean;
    filter: string | null;
    exclude?: string | null;
    backends: string[];
    peers: string[];
    /** Row set (absent: `default`). */
    size?: BenchSize;
  };
  /** The shared GPU, when the run had GPU contenders or GPU rows. */
  gpu?: GpuInfo;
  /**
   * What outputs are compared with (`maxAbsDiff`): `float64` (the conformance kit's
   * reference, with SPEC.md's tolerances), or a contender id (usually `cpu`) when the kit is
   * not installed or `verify` is off.
   */
  reference: string | null;
  contenders: ContenderInfo[];
  rows: RowReport[];
  targets: TargetResult[];
  /** Total wall time of the run, in seconds. */
  elapsedSeconds: number;
}

/** Build a {@link Measured} from timing stats and the row's bytes/flops. */
export function measured(
  row: Pick<BenchRow, 'bytes' | 'flops'>,
  stats: TimingStats,
  checksum: Measured['checksum'],
  extra: { maxAbsDiff?: number | null; toleranceRatio?: number | null; opName?: string; sampled?: { checked: number; of: number } } = {},
): Measured {
  return {
    status: 'ok',
    stats,
    gbps: gbPerSecond(row.bytes, stats.medianMs),
    gflops: row.flops === null ? null : gflopPerSecond(row.flops, stats.medianMs),
    checksum,
    maxAbsDiff: extra.maxAbsDiff ?? null,
    toleranceRatio: extra.toleranceRatio ?? null,
    ...(extra.sampled ? { sampled: extra.sampled } : {}),
    ...(extra.opName ? { opName: extra.opName } : {}),
  };
}

/** The row's headline throughput of a measurement (GB/s or GFLOP/s, per `row.metric`). */
export function throughput(row: Pick<RowReport, 'metric'>, m: Measured): number {
  return row.metric === 'GFLOP/s' ? (m.gflops ?? 0) : m.gbps;
}

/** Every backend-vs-peer speedup on a row, and each backend's fraction of copy bandwidth. */
export function rowRatios(
  results: Record<string, ContenderResult>,
  contenders: readonly ContenderInfo[],
  copy: CopyBaseline | null,
): { ratios: Ratio[]; copyFraction: Record<string, number> } {
  const ok = (id: string) => (results[id]?.status === 'ok' ? (results[id] as Measured) : null);
  const ratios: Ratio[] = [];
  const copyFraction: Record<string, number> = {};
  for (const b of contenders.filter((c) => c.kind === 'backend')) {
    const mb = ok(b.id);
    if (!mb) continue;
    if (copy) copyFraction[b.id] = mb.gbps / copy.gbps;
    for (const p of contenders.filter((c) => c.kind === 'peer')) {
      const mp = ok(p.id);
      if (mp) ratios.push({ subject: b.id, peer: p.id, speedup: speedup(mb.stats.medianMs, mp.stats.medianMs) });
    }
  }
  return { ratios, copyFraction };
}

/** `wasm >= 1.5x ort-web`, `wasm >= 75% of copy`, `2 threads: wasm within 1.2x of ort-node`. */
export function describeTarget(spec: TargetSpec): string {
  switch (spec.kind) {
    case 'speedup':
      return `${spec.subject} >= ${spec.min}x ${spec.peer}`;
    case 'copyFraction':
      return `${spec.subject} >= ${Math.round(spec.min * 100)}% of copy bandwidth`;
    case 'within':
      return `${spec.threads} threads: ${spec.subject} within ${spec.max}x of ${spec.peer}`;
  }
}

/**
 * Judge one target on one row of a run made with `threads` threads. `softwareGpu`: the run's
 * GPU is a software adapter, so targets of GPU rows are not judged (no speed targets there;
 * the measured ratio is still shown).
 */
export function evaluateTarget(row: RowReport, spec: TargetSpec, threads: number, softwareGpu = false): TargetResult {
  const base = { rowId: row.id, rowTitle: row.title, spec, description: describeTarget(spec) };
  const na = (reason: string): TargetResult => ({ ...base, measured: null, status: 'n/a', reason });
  if (softwareGpu && row.size === 'gpu') {
    const judged = evaluateTarget(row, spec, threads, false);
    return { ...judged, status: 'n/a', reason: 'software adapter: no speed targets' };
  }
  const get = (id: string): Measured | string => {
    const r = row.results[id];
    if (!r) return `${id} did not run`;
    return r.status === 'ok' ? r : `${id} ${r.status}: ${r.reason}`;
  };
  const subject = get(spec.subject);
  if (spec.kind === 'within' && threads !== spec.threads) {
    // Still informative: show the ratio at this thread count, but do not judge it.
    const peer = get(spec.peer);
    const measuredRatio = typeof subject !== 'string' && typeof peer !== 'string' ? subject.stats.medianMs / peer.stats.medianMs : null;
    return { ...base, measured: measuredRatio, status: 'n/a', reason: `needs --threads ${spec.threads}; this run: ${threads}` };
  }
  if (typeof subject === 'string') return na(subject);
  if (spec.kind === 'copyFraction') {
    if (!row.copy) return na('no copy baseline');
    const f = subject.gbps / row.copy.gbps;
    return { ...base, measured: f, status: f >= spec.min ? 'met' : 'not met' };
  }
  const peer = get(spec.peer);
  if (typeof peer === 'string') return na(peer);
  if (spec.kind === 'speedup') {
    const s = speedup(subject.stats.medianMs, peer.stats.medianMs);
    return { ...base, measured: s, status: s >= spec.min ? 'met' : 'not met' };
  }
  const slower = subject.stats.medianMs / peer.stats.medianMs;
  return { ...base, measured: slower, status: slower <= spec.max ? 'met' : 'not met' };
}

/** The report of one row: its description, the results, and the ratios derived from them. */
export function rowReport(
  row: Pick<BenchRow, 'id' | 'op' | 'group' | 'title' | 'bytes' | 'flops' | 'metric'> & Partial<Pick<BenchRow, 'dtype' | 'size' | 'reducedFrom'>>,
  results: Record<string, ContenderResult>,
  contenders: readonly ContenderInfo[],
  copy: CopyBaseline | null,
  notes: readonly string[] = [],
): RowReport {
  const { ratios, copyFraction } = rowRatios(results, contenders, copy);
  const { id, op, group, title, bytes, flops, metric } = row;
  return {
    id,
    op,
    group,
    title,
    ...(row.dtype ? { dtype: row.dtype } : {}),
    ...(row.size ? { size: row.size } : {}),
    ...(row.reducedFrom ? { reducedFrom: row.reducedFrom } : {}),
    ...(notes.length ? { notes: [...notes] } : {}),
    bytes,
    flops,
    metric,
    copy,
    results,
    ratios,
    copyFraction,
  };
}
