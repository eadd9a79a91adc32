/**
 * Backend choice through the conformance kit (issue #16): `auto` takes the best backend that
 * loads here *and* passes the kit's quick probe on this device, not merely the first that
 * loads. Verdicts are cached per backend version, adapter and dtypes by the kit (a file under
 * the user's cache directory: `LLAMA_OPS_CACHE_DIR`, `$XDG_CACHE_HOME/llama-ops` or
 * `~/.cache/llama-ops`), so the probe runs once per device and version.
 *
 * This module only adapts the kit's `chooseBackend` to the CLI; the rules live in the kit.
 */
import type { Backend } from '@llama-ops/core';
import type { ChooseReportEntry, Verdict, VerdictStore } from '@llama-ops/conformance';
import { CliFailure } from './args.js';

type ConformanceMain = typeof import('@llama-ops/conformance');

let kit: Promise<ConformanceMain> | undefined;

/** The kit's main entry (no vitest), loaded on first use. */
export function conformanceMain(): Promise<ConformanceMain> {
  kit ??= import('@llama-ops/conformance').catch((err: Error) => {
    throw new CliFailure(`cannot load the conformance kit (@llama-ops/conformance): ${err.message.split('\n')[0]}`);
  });
  return kit;
}

/** What `auto` chose, and why each better candidate was passed over. */
export interface ConformingChoice {
  backend: Backend;
  name: string;
  report: ChooseReportEntry[];
}

/**
 * The best of `candidates` (registry names, best first) that loads and passes the quick
 * probe (or holds a passing cached verdict).
 * @throws NoConformingBackendError (a core `BackendUnavailableError`) when none passes.
 */
export async function chooseConforming(candidates: readonly string[]): Promise<ConformingChoice> {
  const { chooseBackend } = await conformanceMain();
  return chooseBackend({ candidates: [...candidates], verify: 'quick' });
}

/** A backend's quick-probe verdict as `llama-ops backends` shows it. */
export interface ProbeVerdict {
  ok: boolean;
  /** The failing case and its error, or why the probe could not run. */
  reason?: string;
  /** Milliseconds the probe took when it ran (for a cached verdict: when it was measured). */
  ms: number;
  /** Cases it ran. */
  cases: number;
  /** True when the verdict came from the cache. */
  cached: boolean;
  /** When the probe ran (ISO 8601). */
  at?: string;
}

/** A verdict store that remembers the verdict it last read or wrote, and whether it was read. */
function recordingStore(inner: VerdictStore): { store: VerdictStore; last: () => { verdict: Verdict; cached: boolean } | undefined } {
  let last: { verdict: Verdict; cached: boolean } | undefined;
  return {
    store: {
      get: async (key) => {
        const v = await inner.get(key);
        if (v) last = { verdict: v, cached: true };
        return v;
      },
      set: async (key, v) => {
        last = { verdict: v, cached: false };
        await inner.set(key, v);
      },
      clear: () => inner.clear(),
    },
    last: () => last,
  };
}

/**
 * The quick-probe verdict of one backend: the cached one, or measured now (and cached).
 * `refresh` probes again and replaces the cached verdict (`llama-ops verify`). `create`
 * probes an existing backend instead of creating one; it is not disposed when it passes.
 */
export async function probeVerdict(name: string, options: { refresh?: boolean; create?: () => Promise<Backend> } = {}): Promise<ProbeVerdict> {
  const conformance = await conformanceMain();
  const recording = recordingStore(await conformance.defaultVerdictStore());
  const candidate = options.create ? { name, create: options.create } : name;
  let entry: ChooseReportEntry | undefined;
  try {
    const chosen = await conformance.chooseBackend({ candidates: [candidate], verify: 'quick', cache: recording.store, refresh: options.refresh });
    entry = chosen.report[0];
    if (!options.create) chosen.backend.dispose();
  } catch (err) {
    if (!(err instanceof conformance.NoConformingBackendError)) throw err;
    entry = err.report[0];
  }
  const seen = recording.last();
  if (seen) {
    const v = seen.verdict;
    return { ok: v.ok, ...(v.reason ? { reason: v.reason } : {}), ms: v.ms, cases: v.cases, cached: seen.cached, at: v.at };
  }
  // No verdict stored (the backend failed to load, or declares no version and is probed uncached).
  return { ok: entry?.ok ?? false, ...(entry?.reason ? { reason: entry.reason } : {}), ms: Math.round(entry?.ms ?? 0), cases: entry?.cases ?? 0, cached: false };
}
