/** The device kit's combined report, on fixed reports: contenders, thread scaling, targets, files. */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { combineKitDirectory, combineKitReports, formatKitMarkdown, renderKitSvg } from '../src/kit.js';
import { measured, type BenchReport } from '../src/report.js';
import { ROWS } from '../src/rows.js';
import { summarize } from '../src/stats.js';
import { fixtureReport } from './fixture.js';

/** A thread run: wasm takes `wasmMs` on RMSNorm [2048, 4096], on a machine with `cores` cores. */
function threadRun(threads: number, wasmMs: number, cores = 16): BenchReport {
  const r = fixtureReport();
  r.options.threads = threads;
  r.machine.cores = cores;
  r.contenders = r.contenders.map((c) => (c.id === 'wasm' ? { ...c, threads } : c));
  const row = ROWS.find((x) => x.id === 'rmsnorm-2048x4096')!;
  r.rows[0].results.wasm = measured(row, summarize([wasmMs]), { sum: 1, absSum: 1, finite: true });
  return r;
}

describe('combineKitReports', () => {
  const kit = combineKitReports(fixtureReport(), [threadRun(8, 0.25), threadRun(1, 2)]);

  it('orders the thread runs and sums up every contender of every run', () => {
    expect(kit.threads.map((t) => t.threads)).toEqual([1, 8]);
    expect(kit.contenders.filter((c) => c.run === 'gpu').map((c) => c.id)).toEqual(['cpu', 'wasm', 'webgpu', 'ort-web']);
    const wasm8 = kit.contenders.find((c) => c.run === 'threads-8' && c.id === 'wasm')!;
    expect(wasm8).toMatchObject({ available: true, measured: 2, failed: 0, skipped: 0 });
    const cpu = kit.contenders.find((c) => c.run === 'threads-1' && c.id === 'cpu')!;
    expect(cpu).toMatchObject({ measured: 1, failed: 1 });
    expect(kit.contenders.find((c) => c.run === 'threads-1' && c.id === 'webgpu')).toMatchObject({ available: false, reason: 'no GPU adapter' });
  });

  it('measures thread scaling as the 1-thread time over the N-thread time, per contender', () => {
    const s = kit.scaling.find((x) => x.rowId === 'rmsnorm-2048x4096' && x.contender === 'wasm')!;
    expect(s.ms).toEqual({ 1: 2, 8: 0.25 });
    expect(s.speedup).toEqual({ 1: 1, 8: 8 });
  });

  it('judges wasm at 8 threads >= 6x 1 thread on RMSNorm and decode rows, only with 8 cores or more', () => {
    const t = kit.targets.find((x) => x.rowId === 'rmsnorm-2048x4096')!;
    expect(t).toMatchObject({ measured: 8, status: 'met' });
    // The decode row's wasm time is the same at both counts: 1x.
    expect(kit.targets.find((x) => x.rowId === 'gqa-32-8-64-decode2048')).toMatchObject({ measured: 1, status: 'not met' });
    const small = combineKitReports(null, [threadRun(1, 2, 2), threadRun(8, 1, 2)]);
    expect(small.targets[0]).toMatchObject({ status: 'n/a', reason: 'needs at least 8 cores; this machine has 2' });
  });

  it('renders markdown with contenders, scaling and every run, and one SVG', () => {
    const md = formatKitMarkdown(kit);
    expect(md).toContain('| threads-8 | wasm | wasm label | 2 | 0 | 0 |');
    expect(md).toContain('| RMSNorm [2048, 4096] | wasm at 8 threads >= 6x wasm at 1 thread | 8x | ✅ met |');
    expect(md).toMatch(/\| RMSNorm \[2048, 4096\] \| wasm \| 2\.00 ms \| 0\.250 ms \| 8x \|/);
    expect(md).toContain('## GPU rows');
    expect(md).toContain('## wasm rows at 8 threads');
    expect(md).toContain('### Contenders');
    const svg = renderKitSvg(kit);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('wasm rows: speedup over 1 thread');
  });
});

describe('combineKitDirectory', () => {
  it('reads gpu/ and threads-N/ runs and stages.txt, lists a run without a report, and writes the three files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llama-ops-kit-combine-'));
    try {
      for (const [name, report] of [
        ['gpu', fixtureReport()],
        ['threads-1', threadRun(1, 2)],
      ] as const) {
        await mkdir(path.join(dir, name));
        await writeFile(path.join(dir, name, 'bench.json'), JSON.stringify(report));
      }
      await writeFile(path.join(dir, 'stages.txt'), 'gpu 0 40\nthreads-1 0 7\nthreads-2 137 60\n');
      const { kit, files } = await combineKitDirectory(dir, path.join(dir, 'out'));
      expect(kit.threads.map((t) => t.threads)).toEqual([1]);
      expect(kit.stages).toEqual([
        { name: 'gpu', rc: 0, seconds: 40 },
        { name: 'threads-1', rc: 0, seconds: 7 },
        { name: 'threads-2', rc: 137, seconds: 60 },
      ]);
      expect(kit.missing).toHaveLength(1);
      expect(kit.missing[0].run).toBe('threads-2');
      expect(kit.missing[0].reason).toMatch(/^killed at its time limit after 60 s/);
      expect(files.map((f) => path.basename(f))).toEqual(['bench.json', 'bench.md', 'bench.svg']);
      expect(JSON.parse(await readFile(files[0], 'utf8')).schema).toBe('llama-ops-bench-kit/1');
      expect(await readFile(files[1], 'utf8')).toContain('- threads-2: killed at its time limit after 60 s');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
