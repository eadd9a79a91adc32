/**
 * `@llama-ops/conformance/suite`: the case suite and runners without vitest, for the CLI
 * (`llama-ops verify`), docs and custom harnesses.
 *
 * @packageDocumentation
 */
import fc from 'fast-check';
import type { Backend } from '@llama-ops/core';
import { CASE_OPS, cases } from './cases/index.js';
import { DEFAULT_SEED, randomCaseArbitrary, randomSettings } from './cases/random.js';
import type { CaseOp, ConformanceCase } from './cases/types.js';
import { runCase, type CaseResult } from './run-case.js';

export { cases, listCases, CASE_OPS, type CaseFilter } from './cases/index.js';
export type {
  AddRmsnormCaseInputs,
  CaseDType,
  CaseInputs,
  CaseOp,
  ConformanceCase,
  GqaCaseInputs,
  KvCacheCaseInputs,
  KvCacheStep,
  RmsnormCaseInputs,
  RopeCaseInputs,
} from './cases/types.js';
export { DEFAULT_SEED, randomCaseArbitrary, randomSettings } from './cases/random.js';
export { describeParameters } from './cases/parameters.js';
export { CaseMemo, runCase, roundToF16, ropeBounds, maxAbsValid, type CaseResult, type RunCaseOptions } from './run-case.js';
export { compare, coordinates, TOLERANCES, type Comparison } from './check.js';
export { QUICK_CASE_IDS, quickCases, runQuick, type QuickResult } from './quick.js';
export {
  chooseBackend,
  NoConformingBackendError,
  type BackendCandidate,
  type ChooseBackendOptions,
  type ChooseBackendResult,
  type ChooseReportEntry,
} from './choose.js';
export { defaultVerdictStore, fileVerdictStore, memoryVerdictStore, nodeVerdictFile, verdictKey, type Verdict, type VerdictStore } from './verdicts.js';
export { GAP_SENTINEL, type CasePlacement } from './placement.js';

/** A backend's honest answer for one case: `true`, or the reason it cannot run it. */
export type SupportsFn = (c: ConformanceCase) => true | string;

/** Why a case is skipped on a backend, or null when it runs. */
export function skipReason(c: ConformanceCase, dtypes: readonly string[], supports?: SupportsFn): string | null {
  if (!dtypes.includes(c.dtype)) return `backend does not list '${c.dtype}' in capabilities.dtypes`;
  if (supports) {
    const s = supports(c);
    if (s !== true) return typeof s === 'string' && s ? s : 'unsupported (no reason given)';
  }
  return null;
}

/** One line of {@link coverageReport}. */
export interface CoverageEntry {
  id: string;
  op: CaseOp;
  dtype: ConformanceCase['dtype'];
  group: string;
  description: string;
  /** null when the case runs. */
  skipped: string | null;
}

/** Coverage of the fixed suite on a backend: which cases run, which are skipped and why. */
export interface CoverageReport {
  total: number;
  run: number;
  skipped: number;
  entries: CoverageEntry[];
  /** Skip reasons with their counts. */
  reasons: Array<{ reason: string; count: number }>;
}

/**
 * Which fixed cases a backend runs and which it skips (by dtype capability and `supports`).
 * @param dtypes - the backend's `capabilities.dtypes`.
 */
export function coverageReport(dtypes: readonly string[], supports?: SupportsFn): CoverageReport {
  const entries = cases.map((c) => ({ id: c.id, op: c.op, dtype: c.dtype, group: c.group, description: c.description, skipped: skipReason(c, dtypes, supports) }));
  const counts = new Map<string, number>();
  for (const e of entries) if (e.skipped) counts.set(e.skipped, (counts.get(e.skipped) ?? 0) + 1);
  const skipped = entries.filter((e) => e.skipped).length;
  return {
    total: entries.length,
    run: entries.length - skipped,
    skipped,
    entries,
    reasons: [...counts].map(([reason, count]) => ({ reason, count })),
  };
}

/** Outcome of the random mode for one op. */
export interface RandomResult {
  op: CaseOp;
  pass: boolean;
  seed: number;
  /** Cases generated and run. */
  runs: number;
  /** Generated cases the backend does not support (skipped by `fc.pre`). */
  skipped: number;
  /** On failure: the shrunk counterexample's message and how to replay it. */
  message: string;
}

/**
 * Run `runs` random valid cases of `op` (seeded) on `backend`; on failure fast-check shrinks
 * to a small case and the message carries the seed and path to replay it.
 */
export async function runRandom(
  backend: Backend,
  op: CaseOp,
  options: { runs?: number; seed?: number; supports?: SupportsFn } = {},
): Promise<RandomResult> {
  const defaults = randomSettings();
  const runs = options.runs ?? defaults.runs;
  const seed = (options.seed ?? defaults.seed) + CASE_OPS.indexOf(op);
  let last: CaseResult | null = null;
  const dtypes = backend.capabilities.dtypes;
  const property = fc.asyncProperty(randomCaseArbitrary(op), async (c) => {
    fc.pre(skipReason(c, dtypes, options.supports) === null);
    const r = await runCase(backend, c);
    last = r;
    if (!r.pass) throw new Error(r.message);
  });
  const details = await fc.check(property, { seed, numRuns: runs, endOnFailure: false, maxSkipsPerRun: 100 });
  if (!details.failed) {
    return { op, pass: true, seed, runs: details.numRuns, skipped: details.numSkips, message: `${op}: ${details.numRuns} random cases pass (seed ${seed})` };
  }
  const err = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? (last as CaseResult | null)?.message ?? 'failed');
  return {
    op,
    pass: false,
    seed,
    runs: details.numRuns,
    skipped: details.numSkips,
    message:
      `${op}: random case failed after ${details.numRuns} run(s) and ${details.numShrinks} shrink(s) — ${err}\n` +
      `replay: CONFORMANCE_SEED=${seed - CASE_OPS.indexOf(op)} (fast-check seed ${seed}, path "${details.counterexamplePath}")`,
  };
}

/** Progress callback of {@link runSuite}. */
export interface SuiteProgress {
  done: number;
  total: number;
  /** The result just finished, or a skip. */
  result: CaseResult | { id: string; skipped: string };
}

/** Options of {@link runSuite}. */
export interface RunSuiteOptions {
  supports?: SupportsFn;
  onProgress?: (p: SuiteProgress) => void;
  /** Only these cases (default: every fixed case). */
  cases?: readonly ConformanceCase[];
  /** Also run the random mode with this many cases per op (default 0: fixed cases only). */
  randomRuns?: number;
  seed?: number;
}

/** Summary of {@link runSuite}. */
export interface SuiteResult {
  backend: string;
  passed: number;
  failed: number;
  skipped: number;
  results: CaseResult[];
  skips: Array<{ id: string; reason: string }>;
  random: RandomResult[];
  /** True when nothing failed. */
  pass: boolean;
}

/**
 * Run the whole fixed suite (and optionally the random mode) on `backend`, without vitest.
 * @example
 * const report = await runSuite(await createBackend('cpu'), { onProgress: (p) => log(p.done, p.total) });
 * if (!report.pass) process.exitCode = 1;
 */
export async function runSuite(backend: Backend, options: RunSuiteOptions = {}): Promise<SuiteResult> {
  const list = options.cases ?? cases;
  const results: CaseResult[] = [];
  const skips: Array<{ id: string; reason: string }> = [];
  let done = 0;
  for (const c of list) {
    const reason = skipReason(c, backend.capabilities.dtypes, options.supports);
    if (reason) {
      skips.push({ id: c.id, reason });
      options.onProgress?.({ done: ++done, total: list.length, result: { id: c.id, skipped: reason } });
      continue;
    }
    const r = await runCase(backend, c);
    results.push(r);
    options.onProgress?.({ done: ++done, total: list.length, result: r });
  }
  const random: RandomResult[] = [];
  if (options.randomRuns) {
    for (const op of CASE_OPS) random.push(await runRandom(backend, op, { runs: options.randomRuns, seed: options.seed ?? DEFAULT_SEED, supports: options.supports }));
  }
  const failed = results.filter((r) => !r.pass).length + random.filter((r) => !r.pass).length;
  return {
    backend: backend.name,
    passed: results.filter((r) => r.pass).length,
    failed,
    skipped: skips.length,
    results,
    skips,
    random,
    pass: failed === 0,
  };
}

