/**
 * `--size long` in quick mode (256 and 1024 keys) on wasm at 1 and 2 threads, plus a backend
 * that cannot start: the table's columns, every measured row checked against the float64
 * reference and compared with a read pass beside it, skipped rows with a reason, and the
 * full row set's wasm32 skips. No timing assertions (performance is judged by the full run).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatLongMarkdown, LONG_COLUMNS, LONG_KEYS, LONG_LAYOUTS, longRows, ReadPass, runLongDecode, wasmMemoryReason, type LongReport } from '../src/index.js';

describe('--size long --quick', () => {
  let report: LongReport;
  let markdown: string;

  beforeAll(async () => {
    report = await runLongDecode({ quick: true, backends: ['wasm', 'no-such-backend'], timeBudgetMs: 5 });
    markdown = formatLongMarkdown(report);
  }, 30_000);

  it('runs every quick row at 1 and 2 threads', () => {
    expect(report.schema).toBe('llama-ops-bench-long/1');
    expect(report.options).toMatchObject({ quick: true, threads: [1, 2], keys: [256, 1024] });
    const rows = longRows(true);
    expect(rows).toHaveLength(2 * LONG_LAYOUTS.length * 2);
    for (const row of rows) {
      for (const threads of [1, 2]) {
        const r = report.results.find((x) => x.rowId === row.id && x.backend === 'wasm' && x.threads === threads);
        expect(r?.status, `${row.id} ×${threads}: ${r?.reason}`).toBe('ok');
      }
    }
  });

  it('measures, checks and compares every wasm row with the read pass', () => {
    for (const r of report.results.filter((x) => x.backend === 'wasm')) {
      expect(r.ms, r.rowId).toBeGreaterThan(0);
      expect(r.nsPerKey).toBeCloseTo(((r.ms ?? 0) * 1e6) / r.keys, 6);
      expect(r.kvGbps).toBeCloseTo(r.kvBytes / ((r.ms ?? 0) * 1e6), 6);
      expect(r.readGbps).toBeGreaterThan(0);
      expect(r.fraction).toBeCloseTo((r.kvGbps ?? 0) / (r.readGbps ?? 1), 9);
      expect(r.toleranceRatio, r.rowId).toBeLessThanOrEqual(1);
      if (r.keys === 1024) expect(r.vsBase).toBeGreaterThan(0);
    }
    expect(report.reference).toBe('float64');
  });

  it('prints the table with its columns, skipped rows with their reason, and the targets', () => {
    const lines = markdown.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| layout |'));
    expect(lines[header]).toBe(`| ${LONG_COLUMNS.join(' | ')} |`);
    expect(LONG_COLUMNS).toEqual(['layout', 'keys', 'cache', 'threads', 'K/V', 'ms', 'ns/key', 'ns/key ÷ first', 'K/V GB/s', 'read GB/s', 'of read', 'check', 'status']);
    const body = lines.slice(header + 2, lines.indexOf('', header));
    expect(body).toHaveLength(report.results.length);
    for (const line of body) expect(line.split(' | ')).toHaveLength(LONG_COLUMNS.length);
    const skipped = report.results.filter((r) => r.status === 'skipped');
    // no-such-backend at 1 and 2 threads: every row twice.
    expect(skipped.length).toBe(2 * longRows(true).length);
    for (const r of skipped) expect(r.reason, r.rowId).toMatch(/\w/);
    for (const line of body.filter((l) => l.includes('skipped'))) expect(line).toMatch(/skipped: \S/);
    expect(markdown).toContain('## Targets (issue #18)');
    expect(report.targets.length).toBeGreaterThan(0);
    for (const t of report.targets) expect(t.verdict).toBe('n/a');
  });
});

describe('long rows at full size', () => {
  it('has the issue’s rows and skips exactly MHA f32 over 131072 keys for wasm32, saying why', () => {
    const rows = longRows();
    expect(LONG_KEYS).toEqual([2048, 8192, 32768, 131072]);
    expect(rows).toHaveLength(LONG_KEYS.length * LONG_LAYOUTS.length * 2);
    const skipped = rows.filter((r) => wasmMemoryReason(r) !== null);
    expect(skipped.map((r) => r.id)).toEqual(['long-gqa-32-32-128-decode131072-f32']);
    expect(wasmMemoryReason(skipped[0])).toMatch(/4 GiB in f32: more than wasm32's 4 GiB/);
  });
});

describe('ReadPass', () => {
  it('reads a shared wasm memory with 1 and 2 workers', async () => {
    const memory = ReadPass.memory(1 << 20);
    for (const threads of [1, 2]) {
      const rp = ReadPass.create(1 << 20, threads, memory);
      try {
        expect(await rp.gbps({ budgetMs: 5, minSamples: 1, maxSamples: 20, warmupCalls: 1, sampleMs: 0.2 })).toBeGreaterThan(0);
      } finally {
        await rp.close();
      }
    }
  });
});
