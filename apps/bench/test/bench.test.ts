/**
 * The harness end to end in quick mode on the cpu backend (tiny time budget, no timing
 * assertions): report structure, finite checksums, throughput = bytes / median, skipped
 * contenders reported with reasons, one ORT peer cross-checked on a small row, and the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatMarkdown, renderSvg, ROWS, runBench, type BenchProgress, type BenchReport, type Measured } from '../src/index.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

describe('runBench --quick on cpu', () => {
  let report: BenchReport;
  const events: BenchProgress[] = [];

  beforeAll(async () => {
    report = await runBench({ backends: ['cpu', 'no-such-backend'], peers: [], quick: true, timeBudgetMs: 5, onProgress: (e) => events.push(e) });
  }, 60_000);

  it('has every row, in order, with the run options', () => {
    expect(report.schema).toBe('llama-ops-bench/1');
    expect(report.rows.map((r) => r.id)).toEqual(ROWS.map((r) => r.id));
    expect(report.options).toMatchObject({ threads: 1, quick: true, timeBudgetMs: 5, backends: ['cpu', 'no-such-backend'], peers: [] });
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.reference).toBe('float64');
  });

  it('measures cpu on every row with finite checksums, a positive median, and outputs within SPEC tolerance', () => {
    for (const row of report.rows) {
      const r = row.results.cpu as Measured;
      expect(r.status, row.id).toBe('ok');
      expect(r.checksum.finite, row.id).toBe(true);
      // Checked element by element against the float64 reference (error / bound <= 1).
      expect(r.toleranceRatio, row.id).toBeLessThanOrEqual(1);
      expect(r.maxAbsDiff, row.id).toBeLessThan(1e-4);
      expect(r.checksum.absSum, row.id).toBeGreaterThan(0);
      expect(r.stats.medianMs, row.id).toBeGreaterThan(0);
      expect(r.stats.samples, row.id).toBeGreaterThanOrEqual(1);
    }
  });

  it('computes GB/s from the row bytes and the median time, and GFLOP/s for attention', () => {
    for (const row of report.rows) {
      const r = row.results.cpu as Measured;
      expect(r.gbps).toBeCloseTo(row.bytes / (r.stats.medianMs * 1e-3) / 1e9, 9);
      if (row.metric === 'GFLOP/s') expect(r.gflops).toBeCloseTo(row.flops! / (r.stats.medianMs * 1e-3) / 1e9, 9);
      else expect(r.gflops).toBeNull();
      expect(row.copy!.gbps).toBeCloseTo(row.bytes / (row.copy!.stats.medianMs * 1e-3) / 1e9, 9);
      expect(row.copyFraction.cpu).toBeCloseTo(r.gbps / row.copy!.gbps, 12);
    }
  });

  it('runs the quick conformance probe on each backend first (through chooseBackend) and reports its time', () => {
    const cpu = report.contenders.find((c) => c.id === 'cpu')!;
    expect(cpu.quickProbe).toMatchObject({ ok: true });
    expect(cpu.quickProbe!.cases).toBeGreaterThanOrEqual(30);
    expect(cpu.quickProbe!.ms).toBeGreaterThan(0);
    const md = formatMarkdown(report);
    expect(md).toContain('## Quick conformance probe');
    expect(md).toMatch(new RegExp(`\\| cpu \\| pass \\| ${cpu.quickProbe!.cases} \\| [0-9.]+ ms \\|`));
  });

  it('reports an unavailable backend as skipped with its reason, on every row', () => {
    const info = report.contenders.find((c) => c.id === 'no-such-backend')!;
    expect(info.available).toBe(false);
    expect(info.reason).toContain("no backend named 'no-such-backend'");
    for (const row of report.rows) expect(row.results['no-such-backend']).toMatchObject({ status: 'skipped' });
  });

  it('judges targets as n/a when wasm or the peers did not run', () => {
    expect(report.targets.length).toBe(ROWS.reduce((a, r) => a + r.targets.length, 0));
    for (const t of report.targets) expect(t.status).toBe('n/a');
  });

  it('reports progress for contenders, rows, results and copies', () => {
    expect(events.filter((e) => e.type === 'row').length).toBe(ROWS.length);
    expect(events.filter((e) => e.type === 'result').length).toBe(ROWS.length);
    expect(events.filter((e) => e.type === 'copy').length).toBe(ROWS.length);
    expect(events.filter((e) => e.type === 'contender').length).toBe(2);
  });

  it('renders as markdown and SVG', () => {
    const md = formatMarkdown(report);
    for (const row of report.rows) expect(md).toContain(`| ${row.title} |`);
    const svg = renderSvg(report);
    expect((svg.match(/<rect x="250"/g) ?? []).length).toBe(ROWS.length + report.rows.filter((r) => r.metric === 'GB/s').length);
  });
});

describe('runBench with an ORT peer', () => {
  it('measures onnxruntime-node on RMSNorm [1, 4096] and agrees with cpu, or reports it skipped', async () => {
    const report = await runBench({ backends: ['cpu'], peers: ['ort-node'], filter: /^rmsnorm-1x4096$/, quick: true, timeBudgetMs: 5 });
    expect(report.rows.map((r) => r.id)).toEqual(['rmsnorm-1x4096']);
    const row = report.rows[0];
    const peer = row.results['ort-node'];
    const info = report.contenders.find((c) => c.id === 'ort-node')!;
    if (!info.available) {
      // Not installed here: must be a reasoned skip, never a crash.
      expect(peer).toMatchObject({ status: 'skipped' });
      return;
    }
    expect(peer.status).toBe('ok');
    expect((peer as Measured).opName).toBe('RMSNormalization');
    expect((peer as Measured).maxAbsDiff).toBeLessThan(1e-4);
    expect((peer as Measured).toleranceRatio).toBeLessThanOrEqual(1);
    expect(row.ratios).toEqual([{ subject: 'cpu', peer: 'ort-node', speedup: expect.any(Number) }]);
    // The GQA contrib column exists only on attention rows.
    expect(row.results['ort-node-gqa']).toBeUndefined();
  }, 60_000);
});

describe('llama-ops-bench CLI', () => {
  const main = path.join(here, '..', 'dist', 'main.js');

  it('--json prints only the JSON report, and --out writes bench.json, bench.md, bench.svg', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llama-ops-bench-'));
    try {
      const { stdout } = await run(process.execPath, [main, '--quick', '--json', '--backends', 'cpu', '--no-peers', '--filter', 'rmsnorm-1x4096', '--out', dir]);
      const report = JSON.parse(stdout) as BenchReport;
      expect(report.rows.map((r) => r.id)).toEqual(['rmsnorm-1x4096', 'add-rmsnorm-1x4096']);
      const saved = JSON.parse(await readFile(path.join(dir, 'bench.json'), 'utf8')) as BenchReport;
      expect(saved.rows.length).toBe(2);
      expect(await readFile(path.join(dir, 'bench.md'), 'utf8')).toContain('| RMSNorm [1, 4096] |');
      expect(await readFile(path.join(dir, 'bench.svg'), 'utf8')).toMatch(/^<svg/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('rejects an unknown option with exit code 2', async () => {
    await expect(run(process.execPath, [main, '--bogus'])).rejects.toMatchObject({ code: 2 });
  });
});
