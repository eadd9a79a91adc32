/**
 * `llama-ops bench`: drives `@llama-ops/bench` (each op on Llama shapes, every backend, and
 * onnxruntime with `--compare`) with a progress bar and a table, or `--json`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bool, CliFailure, num, parseFlags, requireNoPositionals, str, strList, UsageError, type FlagSpecs } from '../args.js';
import { BUILTIN_BACKENDS, backendSource, reportBackend, reportBackends, requestedBackend, type BackendReport } from '../backends.js';
import { makeContext, type Context } from '../context.js';
import { checkWritable, writeOutput } from '../files.js';
import { fmtMs, ProgressBar, table } from '../format.js';
import { renderHelp } from '../help.js';

/** The benchmark harness: an optional peer of the CLI, loaded only by this command. */
const BENCH_PACKAGE = '@llama-ops/bench';
/** The runtimes `--compare` measures next to ours (the harness brings the ONNX models). */
const PEER_PACKAGES = ['onnxruntime-web', 'onnxruntime-node'] as const;

type BenchModule = typeof import('@llama-ops/bench');
type BenchReport = Awaited<ReturnType<BenchModule['runBench']>>;
type RowReport = BenchReport['rows'][number];

export const BENCH_FLAGS: FlagSpecs = {
  quick: { type: 'boolean', help: 'a few samples per row: proves everything runs, numbers are rough' },
  compare: { type: 'boolean', help: 'also measure onnxruntime-web and onnxruntime-node where installed' },
  filter: { type: 'string', multiple: true, value: 'TEXT', help: 'only rows whose id, op or group contains TEXT (repeatable), e.g. rmsnorm, decode' },
  threads: { type: 'string', value: 'N', help: 'threads for wasm and the onnxruntime peers', defaultText: '1' },
  budget: { type: 'string', value: 'MS', help: 'timed milliseconds per row and contender', defaultText: '1500; --quick 20' },
  markdown: { type: 'string', value: 'FILE', help: 'write the report as markdown' },
  svg: { type: 'string', value: 'FILE', help: 'write a chart of the report as SVG' },
  out: { type: 'string', value: 'FILE', help: 'write the report as JSON' },
};

export const BENCH_HELP = renderHelp({
  usage: 'llama-ops bench [options]',
  summary: 'Benchmark RMSNorm, add+RMSNorm, RoPE and GQA on Llama shapes on every available backend.',
  details: [
    'With --backend auto (the default) every available backend is measured; with --backend NAME\n' +
      'only that one. Times are medians per call after warm-up, next to the bandwidth of a plain\n' +
      'copy of the same bytes. Compare backends as ratios within one run: the machine matters.',
  ],
  groups: [{ title: 'Options', flags: BENCH_FLAGS }],
  examples: [
    'llama-ops bench --quick',
    'llama-ops bench --compare --threads 2 --markdown bench.md --svg bench.svg',
    'llama-ops bench --backend wasm --filter gqa --compare',
    'llama-ops bench --quick --json > bench.json',
  ],
});

export async function benchCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('bench', argv, BENCH_FLAGS);
  if (bool(values, 'help')) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  requireNoPositionals('bench', positionals);
  const ctx = makeContext(values);
  const flag = str(values, 'backend');
  const requested = requestedBackend(flag);
  const quick = bool(values, 'quick') === true;
  const compare = bool(values, 'compare') === true;
  const threads = num(values, 'threads', 1, { integer: true, min: 1, max: 256 });
  const budget = num(values, 'budget', undefined, { positive: true });
  const filters = strList(values, 'filter');
  const files = { markdown: str(values, 'markdown'), svg: str(values, 'svg'), out: str(values, 'out') };
  for (const [name, path] of Object.entries(files)) if (path !== undefined) checkWritable(`--${name}`, path, 'bench');

  const bench = await loadBench();
  if (filters.length && bench.selectRows(filters).length === 0) {
    throw new UsageError(`no benchmark row matches --filter ${filters.join(', ')}; rows: ${bench.ROWS.map((r) => r.id).join(', ')}`, 'bench');
  }
  if (compare) {
    const missing = missingPeerPackages(bench.url);
    if (missing.length) {
      ctx.note(ctx.errPaint.yellow(`--compare: onnxruntime is measured only where installed; add ${missing.join(' and ')} with: npm install ${missing.join(' ')}`), true);
    }
  }

  // Decide which backends run from the CLI's own discovery, so a backend that is missing or
  // unavailable is one line with its reason (and WebGPU is probed without driver noise).
  const isBuiltin = BUILTIN_BACKENDS.some((b) => b.name === requested);
  const wanted: BackendReport[] =
    requested === 'auto' ? await reportBackends() : isBuiltin ? (await reportBackends()).filter((s) => s.name === requested) : [await reportBackend(requested, backendSource(flag))];
  const backends = wanted.filter((s) => s.available).map((s) => s.name);
  for (const s of wanted.filter((x) => !x.available)) {
    ctx.note(ctx.errPaint.yellow(`skipping ${s.name}: ${s.reason ?? 'unavailable'}${s.install ? ` — install with: ${s.install}` : ''}`), requested !== 'auto');
  }
  if (backends.length === 0) {
    const which = requested === 'auto' ? 'no backend is' : `the ${requested} backend is not`;
    throw new CliFailure(`nothing to benchmark: ${which} available${requested !== 'auto' && wanted[0]?.reason ? ` (${wanted[0].reason})` : ''}`, 'E_BACKEND_UNAVAILABLE');
  }

  const rowsTotal = filters.length ? bench.selectRows(filters).length : bench.ROWS.length;
  const bar = new ProgressBar(rowsTotal, { enabled: !ctx.json });
  let report: BenchReport;
  try {
    report = await bench.runBench({
      backends,
      peers: compare ? [...bench.PEER_NAMES] : [],
      threads,
      quick,
      ...(filters.length ? { filter: filters } : {}),
      ...(budget !== undefined ? { timeBudgetMs: budget } : {}),
      onProgress: (e) => {
        if (e.type === 'row') bar.tick(e.row.title, e.index);
        else if (e.type === 'result') bar.tick(`${e.row.title} · ${e.contender}`);
      },
    });
  } finally {
    bar.clear();
  }
  if (files.markdown) writeOutput('--markdown', files.markdown, bench.formatMarkdown(report));
  if (files.svg) writeOutput('--svg', files.svg, bench.renderSvg(report));
  if (files.out) writeOutput('--out', files.out, bench.formatJson(report));

  if (ctx.json) ctx.emitJson(report);
  else printBench(ctx, report, bench, Object.values(files).filter((f): f is string => f !== undefined));
  return 0;
}

/** The harness module, and where it was found (to look for its peers next to it). */
async function loadBench(): Promise<BenchModule & { url: string }> {
  let url: string;
  try {
    url = import.meta.resolve(BENCH_PACKAGE);
  } catch {
    throw new CliFailure(
      `llama-ops bench needs the benchmark harness ${BENCH_PACKAGE}, which is not installed next to the CLI. ` +
        'It is not published to npm yet: run the benchmark from a checkout of the llama-ops repository ' +
        '(npx -y pnpm@10.34.8 install, then npx -y pnpm@10.34.8 llama-ops bench).',
      'E_NOT_INSTALLED',
    );
  }
  try {
    return { ...((await import(/* @vite-ignore */ url)) as BenchModule), url };
  } catch (err) {
    throw new CliFailure(`${BENCH_PACKAGE} failed to load: ${(err as Error).message.split('\n')[0]}`, 'E_NOT_INSTALLED');
  }
}

/**
 * The `--compare` runtimes that cannot be found from the harness's location, looked up as
 * the harness's own `import()` will: node_modules folders upwards (ESM ignores NODE_PATH).
 */
function missingPeerPackages(benchUrl: string): string[] {
  const found = (pkg: string) => {
    for (let dir = dirname(fileURLToPath(benchUrl)); ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'node_modules', pkg, 'package.json'))) return true;
      if (dirname(dir) === dir) return false;
    }
  };
  return PEER_PACKAGES.filter((p) => !found(p));
}

function printBench(ctx: Context, report: BenchReport, bench: BenchModule, files: string[]): void {
  const { paint } = ctx;
  const m = report.machine;
  ctx.say(`${paint.bold('llama-ops bench')} ${paint.dim(`· ${m.cpuModel}, ${m.cores} cores, Node ${m.node}${report.options.quick ? ' · quick mode: rough numbers' : ''}`)}`);
  const running = report.contenders.filter((c) => c.available);
  for (const c of report.contenders) {
    const extra = [...(c.software ? ['software GPU: proves it runs, says nothing of GPU speed'] : []), ...c.notes].join('; ');
    ctx.say(
      `  ${c.available ? paint.green('●') : paint.dim('○')} ${c.id.padEnd(13)} ${c.label}${c.available ? '' : paint.dim(` — skipped: ${c.reason ?? 'unavailable'}`)}${extra ? paint.dim(` (${extra})`) : ''}`,
    );
  }
  ctx.say();
  const ids = running.map((c) => c.id);
  const cell = (row: RowReport, id: string) => {
    const r = row.results[id];
    if (!r) return paint.dim('·');
    if (r.status !== 'ok') return paint.dim('skip');
    const tput = bench.throughput(row, r);
    return `${fmtMs(r.stats.medianMs)} ${paint.dim(`${tput >= 100 ? tput.toFixed(0) : tput.toPrecision(3)}`)}`;
  };
  const fastest = (row: RowReport) => {
    let best: string | null = null;
    let bestMs = Infinity;
    for (const id of ids) {
      const r = row.results[id];
      if (r?.status === 'ok' && r.stats.medianMs < bestMs) {
        bestMs = r.stats.medianMs;
        best = id;
      }
    }
    return best ?? '—';
  };
  const rows = report.rows.map((row) => [row.title, ...ids.map((id) => cell(row, id)), paint.dim(`${row.metric}`), fastest(row)]);
  ctx.say(
    table(['row', ...ids, 'unit', 'fastest'], rows, {
      align: ['left', ...ids.map(() => 'right' as const), 'left', 'left'],
      paint,
      indent: '  ',
    }),
  );
  ctx.say(paint.dim('  each cell: median time per call, then throughput in the row unit (GB/s moved, or attention GFLOP/s)'));
  const peers = report.contenders.filter((c) => c.kind === 'peer' && c.available).map((c) => c.id);
  const ratioRows = report.rows.flatMap((row) =>
    ids
      .filter((id) => row.ratios.some((r) => r.subject === id))
      .map((id) => [
        row.title,
        id,
        ...peers.map((p) => {
          const r = row.ratios.find((x) => x.subject === id && x.peer === p);
          if (!r) return paint.dim('·');
          const text = `${r.speedup.toFixed(2)}×`;
          return r.speedup >= 1 ? paint.green(text) : paint.yellow(text);
        }),
      ]),
  );
  if (ratioRows.length) {
    ctx.say();
    ctx.say(paint.bold('  speedup over onnxruntime') + paint.dim(' (peer time / our time; above 1 means llama-ops is faster)'));
    ctx.say(table(['row', 'ours', ...peers], ratioRows, { align: ['left', 'left', ...peers.map(() => 'right' as const)], paint, indent: '  ' }));
  }
  printTargets(ctx, report);
  ctx.say();
  ctx.say(`  ${paint.dim(`${report.rows.length} rows in ${report.elapsedSeconds} s`)}${files.length ? ` · wrote ${files.join(', ')}` : ''}`);
}

/** A target's measured value as its kind reads: a speedup, a fraction of a copy, a time ratio. */
function targetValue(t: BenchReport['targets'][number]): string {
  if (t.measured === null) return '—';
  if (t.spec.kind === 'copyFraction') return `${(t.measured * 100).toFixed(0)}% of a copy`;
  if (t.spec.kind === 'within') return `${t.measured.toFixed(2)}× ${t.spec.peer}'s time`;
  return `${t.measured.toFixed(2)}×`;
}

/** Each judged target with its measured value, then which are not met, by row. */
function printTargets(ctx: Context, report: BenchReport): void {
  const { paint } = ctx;
  const judged = report.targets.filter((t) => t.status !== 'n/a');
  const notJudged = report.targets.length - judged.length;
  if (!judged.length) return;
  ctx.say();
  ctx.say(paint.bold('  targets') + paint.dim(report.options.quick ? ' (quick mode: too few samples to judge; run without --quick)' : ''));
  const rows = judged.map((t) => [t.rowTitle, t.description, targetValue(t), t.status === 'met' ? paint.green('met') : paint.red('not met')]);
  ctx.say(table(['row', 'target', 'measured', ''], rows, { paint, indent: '    ' }));
  const missed = judged.filter((t) => t.status === 'not met');
  const summary = missed.length
    ? paint.red(`${missed.length} of ${judged.length} targets not met: ${missed.map((t) => `${t.rowTitle} (${t.description}: ${targetValue(t)})`).join('; ')}`)
    : paint.green(`all ${judged.length} targets met`);
  ctx.say(`    ${summary}${notJudged ? paint.dim(` · ${notJudged} not judged (a side skipped or another thread count)`) : ''}`);
}
