/**
 * `llama-ops-bench`: run the benchmark and print markdown (or JSON with --json), and with
 * --out DIR write bench.json, bench.md and bench.svg. Progress goes to stderr.
 */
import { parseArgs, USAGE, type CliOptions } from './args.js';
import { runBench, type BenchProgress } from './bench.js';
import { sharedGpu } from './gpu.js';
import { combineKitDirectory } from './kit.js';
import { formatBytes, formatMarkdown, formatMs, formatNumber } from './markdown.js';
import { formatLongMarkdown, runLongDecode } from './long.js';
import { formatJson, writeReport } from './output.js';
import { REPORT_SCHEMA, throughput, type BenchReport } from './report.js';
import { rowsOfSize, selectRows } from './rows.js';

async function loadReport(file: string): Promise<BenchReport> {
  const { readFile } = await import('node:fs/promises');
  const report = JSON.parse(await readFile(file, 'utf8')) as BenchReport;
  if (report.schema !== REPORT_SCHEMA) throw new Error(`${file} is not a ${REPORT_SCHEMA} report (schema: ${String(report.schema)})`);
  return report;
}

const started = performance.now();

function progressLine(e: BenchProgress): string | null {
  switch (e.type) {
    case 'contender':
      if (!e.contender.available) return `- ${e.contender.id} skipped: ${e.contender.reason}`;
      return `+ ${e.contender.label}${e.contender.quickProbe ? ` (quick conformance probe: ${e.contender.quickProbe.cases} cases pass in ${formatMs(e.contender.quickProbe.ms)})` : ''}`;
    case 'row':
      return `[${e.index + 1}/${e.total}] ${e.row.title} (at ${((performance.now() - started) / 1000).toFixed(0)} s)`;
    case 'result': {
      const r = e.result;
      if (r.status !== 'ok') return `    ${e.contender}: ${r.status} (${r.reason})`;
      return `    ${e.contender}: ${formatMs(r.stats.medianMs)}  ${formatNumber(throughput(e.row, r))} ${e.row.metric}  (${r.stats.samples} samples)`;
    }
    case 'copy':
      return `    copy limit: ${formatNumber(e.copy.gbps)} GB/s`;
    case 'device-copy':
      return `device copy (${e.when}): ${formatNumber(e.copy.gbps)} GB/s, ${formatBytes(e.copy.bufferBytes)} per copy, ${formatMs(e.copy.medianMs)}`;
  }
}

async function main(): Promise<number> {
  let opts: CliOptions;
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
    const all = rowsOfSize(opts.size, opts.quick);
    const excluded = new Set(opts.exclude ? selectRows(opts.exclude, all) : []);
    for (const r of selectRows(opts.filter, all).filter((x) => !excluded.has(x))) process.stdout.write(`${r.id.padEnd(40)} ${r.title}\n`);
    return 0;
  }
  if (opts.gpuInfo) {
    try {
      const g = await sharedGpu();
      const { maxStorageBufferBindingSize, maxBufferSize } = g.limits;
      process.stdout.write(`${JSON.stringify({ adapter: g.description, software: g.software, features: g.features, maxStorageBufferBindingSize, maxBufferSize })}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
  }
  if (opts.combine) {
    // The device kit: join its runs (gpu/, threads-N/) into one report.
    const out = opts.out ?? opts.combine;
    const { kit, files } = await combineKitDirectory(opts.combine, out);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
    for (const c of kit.contenders) process.stderr.write(`  ${c.run} ${c.id}: ${c.available ? `${c.measured} measured, ${c.failed} failed, ${c.skipped} skipped` : `not available (${c.reason})`}\n`);
    for (const x of kit.missing) process.stderr.write(`  missing ${x.run}: ${x.reason}\n`);
    return kit.gpu || kit.threads.length ? 0 : 1;
  }
  if (opts.size === 'long' && !opts.render) {
    // Long-context decode: wasm at 1 and 2 threads against a read pass of the same bytes.
    const long = await runLongDecode({
      backends: opts.backends,
      quick: opts.quick,
      timeBudgetMs: opts.timeBudgetMs,
      rowTimeoutMs: opts.rowTimeoutMs,
      filter: opts.filter,
      exclude: opts.exclude,
      machineNote: opts.note,
      onProgress: opts.json
        ? undefined
        : (e) => {
            if (e.type === 'start') process.stderr.write(`${e.what}\n`);
            else {
              const r = e.result;
              const what = r.status === 'ok' ? `${formatMs(r.ms ?? NaN)}  ${r.nsPerKey?.toFixed(1)} ns/key  ${r.kvGbps?.toFixed(1)} GB/s = ${Math.round((r.fraction ?? NaN) * 100)} % of ${r.readGbps?.toFixed(1)} GB/s read` : `${r.status} (${r.reason})`;
              process.stderr.write(`    ${r.backend}×${r.threads} ${r.title}: ${what}\n`);
            }
          },
    });
    const json = `${JSON.stringify(long, null, 2)}\n`;
    const markdown = formatLongMarkdown(long);
    if (opts.out) {
      const { mkdir, writeFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      await mkdir(opts.out, { recursive: true });
      await writeFile(join(opts.out, 'long-decode.json'), json);
      await writeFile(join(opts.out, 'long-decode.md'), markdown);
      if (!opts.json) process.stderr.write(`wrote ${join(opts.out, 'long-decode.json')}, ${join(opts.out, 'long-decode.md')}\n`);
    }
    process.stdout.write(opts.json ? json : markdown);
    return 0;
  }
  const report = opts.render ? await loadReport(opts.render) : await runBench({
    size: opts.size,
    rowTimeoutMs: opts.rowTimeoutMs,
    deadlineSeconds: opts.deadlineSeconds,
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
