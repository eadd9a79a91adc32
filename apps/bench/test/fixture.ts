/** A fixed, hand-made report for the formatting and SVG tests (no timing involved). */
import { REPORT_SCHEMA, evaluateTarget, measured, rowReport, type BenchReport, type ContenderInfo, type RowReport } from '../src/index.js';
import { ROWS } from '../src/rows.js';
import { summarize } from '../src/stats.js';

const info = (id: string, kind: 'backend' | 'peer', extra: Partial<ContenderInfo> = {}): ContenderInfo => ({
  id,
  kind,
  label: `${id} label`,
  available: true,
  timing: 'wall',
  notes: [],
  ...extra,
});

export const CONTENDERS: ContenderInfo[] = [
  info('cpu', 'backend'),
  info('wasm', 'backend', { threads: 1 }),
  info('webgpu', 'backend', { available: false, reason: 'no GPU adapter' }),
  info('ort-web', 'peer'),
];

const ok = { sum: 1, absSum: 2, finite: true };

/** RMSNorm [2048, 4096] (67,141,632 bytes): cpu 20 ms, wasm 2 ms, ort-web 4 ms, copy 1.5 ms. */
export function fixtureRow(): RowReport {
  const row = ROWS.find((r) => r.id === 'rmsnorm-2048x4096')!;
  const results: RowReport['results'] = {
    cpu: measured(row, summarize([20, 20, 20]), ok),
    wasm: measured(row, summarize([2, 2, 2]), ok, { maxAbsDiff: 1e-7 }),
    webgpu: { status: 'skipped', reason: 'no GPU adapter' },
    'ort-web': measured(row, summarize([4, 4, 4]), ok, { maxAbsDiff: 2e-7, opName: 'RMSNormalization' }),
  };
  const copy = { stats: summarize([1.5]), gbps: row.bytes / 1.5e-3 / 1e9 };
  return rowReport(row, results, CONTENDERS, copy);
}

/** GQA 32/8/64 decode over 2048: wasm 0.5 ms, ort-web 3 ms. */
export function fixtureAttentionRow(): RowReport {
  const row = ROWS.find((r) => r.id === 'gqa-32-8-64-decode2048')!;
  const results: RowReport['results'] = {
    cpu: { status: 'failed', reason: '<boom> & "quotes"' },
    wasm: measured(row, summarize([0.5]), ok),
    'ort-web': measured(row, summarize([3]), ok),
  };
  return rowReport(row, results, CONTENDERS, null);
}

export function fixtureReport(): BenchReport {
  const rows = [fixtureRow(), fixtureAttentionRow()];
  const targets = rows.flatMap((r) => ROWS.find((x) => x.id === r.id)!.targets.map((t) => evaluateTarget(r, t, 1)));
  return {
    schema: REPORT_SCHEMA,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: { platform: 'linux 6', arch: 'x64', cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, node: 'v20.0.0', note: '2 cores, no GPU' },
    options: { threads: 1, timeBudgetMs: 1500, quick: false, filter: null, backends: ['cpu', 'wasm', 'webgpu'], peers: ['ort-web'] },
    reference: 'cpu',
    contenders: CONTENDERS,
    rows,
    targets,
    elapsedSeconds: 12.3,
  };
}
