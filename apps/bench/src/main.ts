/**
 * `llama-ops-bench`: run the benchmark and print markdown (or JSON with --json), and with
 * --out DIR write bench.json, bench.md and bench.svg. Progress goes to stderr.
 */
import { parseArgs, USAGE } from './args.js';
import { runBench, type BenchProgress } from './bench.js';
import { formatMarkdown, formatMs, formatNumber } from './markdown.js';
import { formatJson, writeReport } from './output.js';
import { REPORT_SCHEMA, throughput, type BenchReport } from './report.js';
import { ROWS, selectRows } from './rows.js';

async function loadReport(file: string): Promise<BenchReport> {
  const { readFile } = await import('node:fs/promises');
  const report = JSON.parse(await readFile(file, 'utf8')) as BenchReport;
  if (report.schema !== REPORT_SCHEMA) throw new Error(`${file} is not a ${REPORT_SCHEMA} report (schema: ${String(report.schema)})`);
  return report;
}

function progressLine(e: BenchProgress): string | null {
  switch (e.type) {
    case 'contender':
      return e.contender.available ? `+ ${e.contender.label}` : `- ${e.contender.id} skipped: ${e.contender.reason}`;
    case 'row':
      return `[${e.index + 1}/${e.total}] ${e.row.title}`;
    case 'result': {
      const r = e.result;
      if (r.status === 'skipped') return `    ${e.contender}: skipped (${r.reason})`;
      return `    ${e.contender}: ${formatMs(r.stats.medianMs)}  ${formatNumber(throughput(e.row, r))} ${e.row.metric}  (${r.stats.samples} samples)`;
    }
    case 'copy':
      return `    copy limit: ${formatNumber(e.copy.gbps)} GB/s`;
  }
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts.list) {
    const excluded = new Set(opts.exclude ? selectRows(opts.exclude) : []);
    for (const r of (opts.filter ? selectRows(opts.filter) : ROWS).filter((x) => !excluded.has(x))) process.stdout.write(`${r.id.padEnd(28)} ${r.title}\n`);
    return 0;
  }
  const report = opts.render ? await loadReport(opts.render) : await runBench({
    backends: opts.backends,
    peers: opts.peers,
    threads: opts.threads,
    filter: opts.filter,
    exclude: opts.exclude,
    timeBudgetMs: opts.timeBudgetMs,
    quick: opts.quick,
    machineNote: opts.note,
    onProgress: opts.json
      ? undefined
      : (e) => {
          const line = progressLine(e);
          if (line) process.stderr.write(`${line}\n`);
        },
  });
  if (opts.out) {
    const files = await writeReport(report, opts.out);
    if (!opts.json) process.stderr.write(`wrote ${files.json}, ${files.markdown}, ${files.svg}\n`);
  }
  process.stdout.write(opts.json ? formatJson(report) : formatMarkdown(report));
  return 0;
}

main().then(
  (code) => {
    // ORT-web worker threads can keep the event loop alive: exit explicitly.
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`llama-ops-bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
