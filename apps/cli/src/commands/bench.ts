/**
 * `llama-ops bench`: drives `@llama-ops/bench` (each op on Llama shapes, every backend, and
 * onnxruntime with `--compare`) with a progress bar and a table, or `--json`.
 */
import { writeFileSync } from 'node:fs';
import { bool, num, parseFlags, requireNoPositionals, str, strList, type FlagSpecs } from '../args.js';
import { reportBackends, requestedBackend } from '../backends.js';
import { makeContext, type Context } from '../context.js';
import { fmtMs, ProgressBar, table } from '../format.js';
import { renderHelp } from '../help.js';

type BenchModule = typeof import('@llama-ops/bench');
type BenchReport = Awaited<ReturnType<BenchModule['runBench']>>;
type RowReport = BenchReport['rows'][number];

const BENCH_FLAGS: FlagSpecs = {
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
  const requested = requestedBackend(str(values, 'backend'));
  const quick = bool(values, 'quick') === true;
  const threads = num(values, 'threads', 1, { integer: true, min: 1, max: 256 });
  const budget = num(values, 'budget', undefined, { positive: true });
  const filters = strList(values, 'filter');

  // Decide which backends run from the CLI's own discovery, so a backend that is missing or
  // unavailable is one line with its reason (and WebGPU is probed without driver noise).
  const statuses = await reportBackends();
  const wanted = statuses.filter((s) => requested === 'auto' || s.name === requested);
  const backends = wanted.filter((s) => s.available).map((s) => s.name);
  for (const s of wanted.filter((x) => !x.available)) {
    ctx.note(ctx.errPaint.yellow(`skipping ${s.name}: ${s.reason ?? 'unavailable'}${s.install ? ` — install with: ${s.install}` : ''}`), requested !== 'auto');
  }
  if (backends.length === 0) {
    ctx.note(ctx.errPaint.red(`nothing to benchmark: the ${requested === 'auto' ? 'backends are' : `${requested} backend is`} not available`), true);
    return 1;
  }

  const bench: BenchModule = await import('@llama-ops/bench');
  if (filters.length && bench.selectRows(filters).length === 0) {
    ctx.note(`no benchmark row matches --filter ${filters.join(', ')}; rows: ${bench.ROWS.map((r) => r.id).join(', ')}`, true);
    return 2;
  }
  const rowsTotal = filters.length ? bench.selectRows(filters).length : bench.ROWS.length;
  const bar = new ProgressBar(rowsTotal, { enabled: !ctx.json });
  let report: BenchReport;
  try {
    report = await bench.runBench({
      backends,
      peers: bool(values, 'compare') ? [...bench.PEER_NAMES] : [],
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
  const markdown = str(values, 'markdown');
  const svg = str(values, 'svg');
  const out = str(values, 'out');
  if (markdown) writeFileSync(markdown, bench.formatMarkdown(report));
  if (svg) writeFileSync(svg, bench.renderSvg(report));
  if (out) writeFileSync(out, bench.formatJson(report));

  if (ctx.json) ctx.emitJson(report);
  else printBench(ctx, report, bench, [markdown, svg, out].filter((f): f is string => f !== undefined));
  return 0;
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
  const judged = report.targets.filter((t) => t.status !== 'n/a');
  if (judged.length) {
    ctx.say();
    ctx.say(paint.bold('  targets'));
    for (const t of judged) {
      const status = t.status === 'met' ? paint.green('met') : paint.red('not met');
      ctx.say(`    ${t.rowTitle.padEnd(34)} ${t.description.padEnd(44)} ${t.measured === null ? '—' : t.measured.toFixed(2)} ${status}`);
    }
  }
  ctx.say();
  ctx.say(`  ${paint.dim(`${report.rows.length} rows in ${report.elapsedSeconds} s`)}${files.length ? ` · wrote ${files.join(', ')}` : ''}`);
}
