/**
 * `@llama-ops/conformance`: run the whole conformance suite against a backend as vitest tests,
 * with one call (`runConformance`), and choose the backend an app runs on through the kit
 * (`chooseBackend`). The suite without vitest is `@llama-ops/conformance/suite`; the float64
 * reference is `@llama-ops/conformance/reference`. Importing this entry does not need vitest:
 * only `runConformance` does.
 *
 * @packageDocumentation
 */
import type { Backend } from '@llama-ops/core';
import { CASE_OPS, listCases } from './cases/index.js';
import { randomSettings } from './cases/random.js';
import type { CaseOp } from './cases/types.js';
import { runCase } from './run-case.js';
import { runRandom, skipReason, type SupportsFn } from './suite.js';

export * from './suite.js';

/**
 * The vitest module of the running test file. vitest is an optional peer: this entry never imports
 * it (apps import chooseBackend from here, in Node and in bundles, without vitest). Inside a vitest
 * run, in Node and in browser mode alike, vitest publishes its module as `__vitest_index__` (the
 * object behind `import.meta.vitest`); runConformance registers its tests through it.
 */
function runningVitest(): typeof import('vitest') | null {
  const index = (globalThis as { __vitest_index__?: typeof import('vitest') }).__vitest_index__;
  return index !== undefined && typeof index.describe === 'function' ? index : null;
}

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** Backend name for the test titles, e.g. `cpu`. */
  name: string;
  /** Creates the backend under test (once, when vitest collects the file; disposed after all tests). */
  createBackend: () => Backend | Promise<Backend>;
  /** Honest per-case answer: `true`, or a reason string; unsupported cases are reported as skipped with it. */
  supports?: SupportsFn;
  /** Only these ops (default: all). */
  ops?: readonly CaseOp[];
  /** Random mode: cases per op and seed (default from `CONFORMANCE_RUNS` / `CI` / `CONFORMANCE_SEED`); `false` turns it off. */
  random?: false | { runs?: number; seed?: number };
  /** Per-test timeout in ms for fixed cases (default 30 s) ... */
  caseTimeout?: number;
  /** ... and for each op's random-mode test (default 120 s). */
  randomTimeout?: number;
}

/**
 * Register the suite as vitest tests: `describe` per op, one `it` per fixed case (a skipped case
 * is an `it.skip` whose title carries the reason), and one `it` per op for the seeded random mode.
 * @example
 * // test/conformance.test.ts of a backend package
 * import { runConformance } from '@llama-ops/conformance';
 * import { createBackend } from '../src/index.js';
 * runConformance({ name: 'cpu', createBackend: () => createBackend() });
 */
export function runConformance(options: ConformanceOptions): void {
  const vitest = runningVitest();
  if (vitest === null) throw new Error('runConformance registers vitest tests: call it from a test file that vitest runs, or use runSuite() from @llama-ops/conformance/suite');
  const { afterAll, describe, it } = vitest;
  const ops = options.ops ?? CASE_OPS;
  describe(`conformance: ${options.name}`, async () => {
    const backend = await options.createBackend();
    afterAll(() => backend.dispose());
    const dtypes = backend.capabilities.dtypes;
    const settings = randomSettings();
    const runs = options.random === false ? 0 : (options.random?.runs ?? settings.runs);
    const seed = options.random === false ? settings.seed : (options.random?.seed ?? settings.seed);
    for (const op of ops) {
      describe(op, () => {
        for (const c of listCases({ op })) {
          const reason = skipReason(c, dtypes, options.supports);
          if (reason !== null) {
            it.skip(`${c.id} (skipped: ${reason})`, () => {});
            continue;
          }
          it(
            `${c.id}: ${c.description}`,
            async () => {
              const r = await runCase(backend, c);
              if (!r.pass) throw new Error(r.message);
            },
            options.caseTimeout ?? 30_000,
          );
        }
        if (runs > 0) {
          it(
            `${op}: ${runs} random cases (seed ${seed})`,
            async () => {
              const r = await runRandom(backend, op, { runs, seed, supports: options.supports });
              if (!r.pass) throw new Error(r.message);
            },
            options.randomTimeout ?? 120_000,
          );
        }
      });
    }
  });
}
