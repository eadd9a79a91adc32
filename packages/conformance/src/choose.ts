/**
 * Choose a backend through the conformance kit: try candidates best first, and return the
 * first that loads here and passes the quick probe on this device. A backend that loads but
 * computes wrong answers (a GPU driver with broken f16 or subgroups, a browser whose wasm
 * threads misbehave, a contributor's backend with a bug) is passed over, and the report says
 * why. Verdicts are cached per backend version, adapter and dtypes, so the probe runs once
 * per device and version.
 */
import { BackendUnavailableError, backendCandidates, selectBackend, type Backend, type BackendAttempt } from '@llama-ops/core';
import { listCases } from './cases/index.js';
import { quickCases, runQuick } from './quick.js';
import { CaseMemo } from './run-case.js';
import type { ConformanceCase } from './cases/types.js';
import { defaultVerdictStore, verdictKey, type Verdict, type VerdictStore } from './verdicts.js';

/** A backend to try: a registry name (`'webgpu'`, a registered or installed third-party name), or a factory. */
export type BackendCandidate = string | { name: string; create: () => Promise<Backend> };

/** Options of {@link chooseBackend}. */
export interface ChooseBackendOptions {
  /** Backends to try, best first (default: every registered or built-in backend, by priority). */
  candidates?: BackendCandidate[];
  /**
   * What a backend must pass before it is chosen: the quick probe (default), the whole fixed
   * suite, or nothing (the first backend that loads, as `createBackend('auto')`).
   */
  verify?: 'quick' | 'full' | 'none';
  /**
   * Where verdicts are kept: `true` (default) uses `localStorage` in a browser and a file
   * under the user's cache directory in Node (`$XDG_CACHE_HOME/llama-ops` or `~/.cache/llama-ops`);
   * `false` probes every time; or a store of your own.
   */
  cache?: boolean | VerdictStore;
  /** Probe again even where a cached verdict exists, and store the new verdicts (`llama-ops verify`). */
  refresh?: boolean;
}

/** One line of {@link ChooseBackendResult.report}: a candidate and what happened to it. */
export interface ChooseReportEntry {
  name: string;
  /** Loaded here and passed the probe (or `verify: 'none'`). */
  ok: boolean;
  /** Why it was passed over: not installed, no adapter, or the failing case and its error. */
  reason?: string;
  /** Milliseconds spent on it (loading and probing; 0 for a cached verdict's probe). */
  ms: number;
  /** True when the verdict came from the cache rather than a probe run now. */
  cached?: boolean;
  /** Cases the probe ran (0 when it did not run). */
  cases?: number;
}

/** What {@link chooseBackend} returns. */
export interface ChooseBackendResult {
  backend: Backend;
  name: string;
  /** Every candidate tried, in order, ending with the chosen one. */
  report: ChooseReportEntry[];
}

/** No candidate loaded and passed: `report` says why for each. */
export class NoConformingBackendError extends BackendUnavailableError {
  /** Every candidate tried and why it was passed over. */
  readonly report: readonly ChooseReportEntry[];
  constructor(report: readonly ChooseReportEntry[]) {
    const attempts: BackendAttempt[] = report.map((r) => ({ name: r.name, reason: r.reason ?? 'unknown', installed: !/not installed/.test(r.reason ?? '') }));
    super(
      {
        op: 'chooseBackend',
        argument: 'candidates',
        expected: 'a backend that loads here and passes the conformance probe',
        hint: report.map((r) => `${r.name}: ${r.reason}`).join('; ') || 'no candidates',
      },
      attempts,
    );
    this.report = report;
  }
}

/**
 * The fastest backend that proves itself on this device: candidates are tried best first;
 * each that loads runs the quick conformance probe (or takes its cached verdict); the first
 * that passes is returned and the others are disposed.
 * @throws NoConformingBackendError (a `BackendUnavailableError`) carrying the report when none passes.
 * @example
 * const { backend, name, report } = await chooseBackend();
 * console.log(`using ${name}`, report.filter((r) => !r.ok));
 */
export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<ChooseBackendResult> {
  const verify = options.verify ?? 'quick';
  const store = options.cache === false ? null : options.cache === true || options.cache === undefined ? await defaultVerdictStore() : options.cache;
  const candidates = options.candidates ?? backendCandidates();
  const report: ChooseReportEntry[] = [];
  // Inputs and references built for one candidate's probe serve the next ones.
  const memo = new CaseMemo();
  for (const candidate of candidates) {
    const name = typeof candidate === 'string' ? candidate : candidate.name;
    const t0 = performance.now();
    let backend: Backend;
    try {
      const loading = typeof candidate === 'string' ? selectBackend(candidate).then((s) => s.backend) : candidate.create();
      // Loading a backend (wasm compilation, worker start-up, a GPU adapter) mostly waits:
      // build the probe's inputs and references meanwhile.
      if (verify === 'quick') await prepareWhile(loading, memo);
      backend = await loading;
    } catch (err) {
      report.push({ name, ok: false, reason: loadFailure(err), ms: performance.now() - t0, cases: 0 });
      continue;
    }
    if (verify === 'none') {
      report.push({ name, ok: true, ms: performance.now() - t0, cases: 0 });
      return { backend, name, report };
    }
    const key = verdictKey(name, backend, verify);
    const cached = key !== null && store !== null && !options.refresh ? await store.get(key) : undefined;
    let verdict: Verdict;
    let entryCached = false;
    if (cached) {
      verdict = cached;
      entryCached = true;
    } else {
      const result = await runQuick(backend, verify === 'full' ? { cases: listCases() } : { memo });
      verdict = {
        ok: result.pass,
        reason: result.failure ? `failed case ${result.failure.id}: ${result.failure.message.replace(`${result.failure.id}: `, '')}` : undefined,
        cases: result.ran,
        ms: Math.round(result.ms),
        at: new Date().toISOString(),
      };
      if (key !== null && store !== null) await store.set(key, verdict);
    }
    const entry: ChooseReportEntry = { name, ok: verdict.ok, ms: performance.now() - t0, cases: entryCached ? 0 : verdict.cases };
    if (verdict.reason) entry.reason = entryCached ? `${verdict.reason} (cached verdict of ${verdict.at})` : verdict.reason;
    if (entryCached) entry.cached = true;
    report.push(entry);
    if (verdict.ok) return { backend, name, report };
    backend.dispose();
  }
  throw new NoConformingBackendError(report);
}

/** Cases to prepare while a backend loads: the largest first (their data and reference are most of the probe's own time). */
let prepareOrder: readonly ConformanceCase[] | null = null;

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Prepare quick cases (`CaseMemo.prepare`) one at a time until `pending` settles, yielding to
 * the event loop between them so that the load goes on; what is left is built during the probe.
 */
async function prepareWhile(pending: Promise<unknown>, memo: CaseMemo): Promise<void> {
  let settled = false;
  pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  prepareOrder ??= [...quickCases().filter((c) => c.group === 'paths'), ...quickCases().filter((c) => c.group !== 'paths')];
  for (const c of prepareOrder) {
    await yieldToEventLoop();
    if (settled) return;
    memo.prepare(c);
  }
}

function loadFailure(err: unknown): string {
  if (err instanceof BackendUnavailableError && err.attempts.length > 0) {
    return err.attempts.map((a) => (a.installed ? a.reason : `not installed: ${a.reason}${a.install ? ` (install: ${a.install})` : ''}`)).join('; ');
  }
  return `failed to load: ${err instanceof Error ? err.message : String(err)}`;
}
