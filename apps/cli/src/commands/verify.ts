/**
 * `llama-ops verify`: run the conformance kit (`@llama-ops/conformance/suite`, no vitest)
 * against one backend, with a progress bar on a terminal and a pass/fail table per op.
 * Exits 1 when any case fails.
 */
import type { Backend } from '@llama-ops/core';
import { bool, num, parseFlags, requireNoPositionals, str, strList, UsageError, type FlagSpecs } from '../args.js';
import { chooseBackend } from '../backends.js';
import { probeVerdict, type ProbeVerdict } from '../choose.js';
import { makeContext, type Context } from '../context.js';
import { fmtErr, fmtMs, ProgressBar, table } from '../format.js';
import { renderHelp } from '../help.js';
import { conformance, type SuiteModule } from '../reference.js';
import { didYouMean } from '../suggest.js';

type SuiteResult = Awaited<ReturnType<SuiteModule['runSuite']>>;
type CaseResult = SuiteResult['results'][number];
type ConformanceCase = SuiteModule['cases'][number];

const OPS = ['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache'] as const;
const OP_ALIASES: Record<string, (typeof OPS)[number]> = { 'add-rmsnorm': 'addRmsnorm', addrmsnorm: 'addRmsnorm', 'kv-cache': 'kvcache' };

export const VERIFY_FLAGS: FlagSpecs = {
  runs: {
    type: 'string',
    value: 'N',
    help: 'random property cases per op after the fixed cases (0 = fixed cases only; env CONFORMANCE_RUNS)',
    defaultText: '50, 200 on CI',
  },
  seed: { type: 'string', value: 'N', help: 'seed of the random cases (env CONFORMANCE_SEED)' },
  op: { type: 'string', multiple: true, value: 'OP', help: 'only these ops: rmsnorm, add-rmsnorm, rope, gqa, kvcache (repeatable)' },
  dtype: { type: 'string', value: 'f32|f16', help: 'only cases of this storage dtype' },
  filter: { type: 'string', multiple: true, value: 'TEXT', help: 'only cases whose id contains TEXT (repeatable)' },
  verbose: { type: 'boolean', help: 'list every case, not only failures' },
};

export const VERIFY_HELP = renderHelp({
  usage: 'llama-ops verify [options]',
  summary: 'Run the conformance kit against a backend: every fixed case, then random property cases per op.',
  details: [
    'Each case runs the op through the public API on the backend and compares the output with\n' +
      "the float64 reference under SPEC.md's tolerances. Cases the backend cannot run (e.g. f16 on a\n" +
      'backend without f16 storage) are reported as skipped, with the reason. Exit code 1 if any fails.',
  ],
  groups: [{ title: 'Options', flags: VERIFY_FLAGS }],
  examples: [
    'llama-ops verify',
    'llama-ops verify --backend wasm --runs 200',
    'llama-ops verify --backend cpu --op gqa --filter window --verbose',
    'llama-ops verify --backend webgpu --json > conformance.json',
  ],
});

/** Per-op summary row. */
interface OpSummary {
  op: string;
  cases: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Largest error / bound over the op's cases. */
  worstRatio: number;
  worstError: number;
  ms: number;
  random: { runs: number; pass: boolean; seed: number } | null;
}

export async function verifyCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('verify', argv, VERIFY_FLAGS);
  if (bool(values, 'help')) {
    process.stdout.write(VERIFY_HELP);
    return 0;
  }
  requireNoPositionals('verify', positionals);
  const ctx = makeContext(values);
  const ops = strList(values, 'op').map((o) => {
    const op = OP_ALIASES[o.toLowerCase()] ?? (OPS as readonly string[]).find((x) => x.toLowerCase() === o.toLowerCase());
    if (!op) throw new UsageError(`--op: unknown op '${o}'${didYouMean(o, ['rmsnorm', 'add-rmsnorm', 'rope', 'gqa', 'kvcache'])} (expected rmsnorm, add-rmsnorm, rope, gqa or kvcache)`, 'verify');
    return op as (typeof OPS)[number];
  });
  const dtype = str(values, 'dtype');
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype: expected f32 or f16, got '${dtype}'`, 'verify');
  const filters = strList(values, 'filter');
  const seedFlag = num(values, 'seed', undefined, { integer: true });

  const kit = await conformance();
  const settings = kit.suite.randomSettings();
  const runs = num(values, 'runs', settings.runs, { integer: true, min: 0 });
  const seed = seedFlag ?? settings.seed;
  const selected = kit.suite.cases.filter(
    (c: ConformanceCase) =>
      (ops.length === 0 || ops.includes(c.op)) && (dtype === undefined || c.dtype === dtype) && (filters.length === 0 || filters.some((f) => c.id.includes(f))),
  );
  if (selected.length === 0) throw new UsageError('no conformance case matches --op/--dtype/--filter', 'verify');

  const chosen = await chooseBackend(str(values, 'backend'));
  const be = chosen.backend;
  ctx.note(ctx.errPaint.dim(`backend: ${chosen.why}`));
  const bar = new ProgressBar(selected.length, { enabled: !ctx.json });
  const t0 = performance.now();
  let result: SuiteResult;
  let quick: ProbeVerdict | undefined;
  try {
    result = await kit.suite.runSuite(be, {
      cases: selected,
      onProgress: (p) => bar.tick(p.result.id, p.done),
    });
    bar.clear();
    // The random mode, op by op (only for the ops selected), so the bar can say which runs.
    const randomOps = runs > 0 ? [...new Set(selected.map((c: ConformanceCase) => c.op))] : [];
    const randomBar = new ProgressBar(randomOps.length, { enabled: !ctx.json });
    for (const [i, op] of randomOps.entries()) {
      randomBar.tick(`random ${op} × ${runs}`, i);
      const r = await kit.suite.runRandom(be, op, { runs, seed });
      result.random.push(r);
      if (!r.pass) {
        result.failed++;
        result.pass = false;
      }
    }
    randomBar.clear();
    // The cached verdict `auto` trusts is refreshed from this run's backend (the quick probe
    // is a subset of the suite, run again as it runs in `auto`: a few hundred ms at most).
    quick = await probeVerdict(be.name, { refresh: true, create: async () => keepAlive(be) });
  } finally {
    bar.clear();
    be.dispose();
  }
  const elapsedMs = performance.now() - t0;
  const summary = summarise(result, runs);

  if (ctx.json) {
    ctx.emitJson({
      backend: result.backend,
      why: chosen.why,
      pass: result.pass,
      quick,
      passed: result.passed,
      failed: result.failed,
      skipped: result.skipped,
      randomRuns: runs,
      seed,
      elapsedMs,
      ops: summary,
      failures: result.results.filter((r) => !r.pass).map(caseJson),
      skips: result.skips,
      random: result.random,
      ...(bool(values, 'verbose') ? { results: result.results.map(caseJson) } : {}),
    });
  } else {
    printVerify(ctx, result, summary, runs, seed, elapsedMs, bool(values, 'verbose') === true);
    if (quick) {
      const v = quick.ok ? ctx.paint.green('pass') : ctx.paint.red(`FAIL: ${quick.reason ?? 'unknown'}`);
      ctx.say(`  ${ctx.paint.dim('quick-probe verdict (what auto trusts) refreshed:')} ${v} ${ctx.paint.dim(`(${quick.cases} cases in ${quick.ms} ms)`)}`);
    }
  }
  return result.pass ? 0 : 1;
}

function caseJson(r: CaseResult) {
  return { id: r.id, op: r.op, dtype: r.dtype, pass: r.pass, maxError: r.maxError, bound: r.bound, ms: r.ms, message: r.message };
}

function summarise(result: SuiteResult, runs: number): OpSummary[] {
  const byOp = new Map<string, OpSummary>();
  const get = (op: string) => {
    let s = byOp.get(op);
    if (!s) {
      s = { op, cases: 0, passed: 0, failed: 0, skipped: 0, worstRatio: 0, worstError: 0, ms: 0, random: null };
      byOp.set(op, s);
    }
    return s;
  };
  for (const r of result.results) {
    const s = get(r.op);
    s.cases++;
    if (r.pass) s.passed++;
    else s.failed++;
    s.ms += r.ms;
    const ratio = r.bound > 0 ? r.maxError / r.bound : r.maxError > 0 ? Infinity : 0;
    if (ratio > s.worstRatio) s.worstRatio = ratio;
    if (r.maxError > s.worstError) s.worstError = r.maxError;
  }
  for (const sk of result.skips) {
    const s = get(sk.id.split('/')[0]);
    s.cases++;
    s.skipped++;
  }
  for (const r of result.random) {
    const s = get(r.op);
    s.random = { runs: r.runs, pass: r.pass, seed: r.seed };
    if (!r.pass) s.failed++;
  }
  void runs;
  return OPS.filter((op) => byOp.has(op)).map((op) => byOp.get(op)!);
}

/** error/bound: 1 is the tolerance itself. */
function fmtRatio(r: number): string {
  if (r === 0) return '0';
  if (!Number.isFinite(r)) return String(r);
  return r >= 0.01 ? r.toFixed(3) : r.toExponential(1);
}

function printVerify(ctx: Context, result: SuiteResult, summary: OpSummary[], runs: number, seed: number, elapsedMs: number, verbose: boolean): void {
  const { paint } = ctx;
  ctx.say(`${paint.bold('conformance')} of the ${paint.cyan(paint.bold(result.backend))} backend against the float64 reference (SPEC.md tolerances)`);
  ctx.say();
  const rows = summary.map((s) => [
    s.op,
    String(s.cases),
    s.passed ? paint.green(String(s.passed)) : '0',
    s.failed ? paint.red(String(s.failed)) : '0',
    s.skipped ? paint.yellow(String(s.skipped)) : '0',
    s.random ? (s.random.pass ? paint.green(`${s.random.runs} pass`) : paint.red('FAIL')) : paint.dim('—'),
    s.cases - s.skipped > 0 ? fmtRatio(s.worstRatio) : paint.dim('—'),
    fmtMs(s.ms),
  ]);
  ctx.say(
    table(['op', 'cases', 'passed', 'failed', 'skipped', runs > 0 ? 'random' : 'random (off)', 'worst error / bound', 'time'], rows, {
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      paint,
      indent: '  ',
    }),
  );
  if (verbose) {
    ctx.say();
    for (const r of result.results) ctx.say(`  ${r.pass ? paint.green('✓') : paint.red('✗')} ${r.id} ${paint.dim(`(${fmtErr(r.maxError)} ≤ ${fmtErr(r.bound)})`)}`);
  }
  const failures = result.results.filter((r) => !r.pass);
  if (failures.length) {
    ctx.say();
    ctx.say(paint.red(paint.bold(`failed cases (${failures.length}):`)));
    for (const r of failures) ctx.say(`  ${paint.red('✗')} ${r.id}\n      ${r.message}`);
  }
  for (const r of result.random.filter((x) => !x.pass)) {
    ctx.say();
    ctx.say(paint.red(`  ✗ ${r.message}`));
  }
  if (result.skips.length) {
    const reasons = new Map<string, number>();
    for (const s of result.skips) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    ctx.say();
    for (const [reason, count] of reasons) ctx.say(paint.yellow(`  skipped ${count}: ${reason}`));
  }
  ctx.say();
  const randomText = runs > 0 ? `, ${runs} random cases per op (seed ${seed})` : '';
  const verdict = result.pass
    ? paint.green(paint.bold(`PASS — ${result.passed} cases pass${randomText}`))
    : paint.red(paint.bold(`FAIL — ${result.failed} failed`));
  ctx.say(`  ${verdict} ${paint.dim(`in ${fmtMs(elapsedMs)}`)}`);
}

/** `be` with a no-op dispose: the probe must not dispose the backend this command still owns. */
function keepAlive(be: Backend): Backend {
  return new Proxy(be, {
    get(target, prop) {
      if (prop === 'dispose') return () => {};
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
