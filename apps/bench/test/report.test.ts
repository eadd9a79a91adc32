import { describe, expect, it } from 'vitest';
import { describeTarget, evaluateTarget, measured, rowRatios, throughput } from '../src/report.js';
import { ROWS, selectRows } from '../src/rows.js';
import { runBench } from '../src/bench.js';
import { summarize } from '../src/stats.js';
import { CONTENDERS, fixtureAttentionRow, fixtureRow } from './fixture.js';

describe('rows', () => {
  it('cover the Llama shapes of the issue, with unique ids', () => {
    const ids = ROWS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [
      'rmsnorm-1x4096',
      'rmsnorm-512x2048',
      'rmsnorm-2048x4096',
      'add-rmsnorm-2048x4096',
      'rope-q-s1-d64',
      'rope-k-s512-d128',
      'gqa-32-8-64-prefill512',
      'gqa-32-4-64-decode2048',
      'gqa-32-8-128-decode2048',
      'gqa-32-32-128-decode2048',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('count bytes read + written once per tensor', () => {
    const rms = ROWS.find((r) => r.id === 'rmsnorm-2048x4096')!;
    expect(rms.bytes).toBe(4 * (2 * 2048 * 4096 + 4096));
    const add = ROWS.find((r) => r.id === 'add-rmsnorm-2048x4096')!;
    expect(add.bytes).toBe(4 * (4 * 2048 * 4096 + 4096));
    const rope = ROWS.find((r) => r.id === 'rope-q-s512-d128')!;
    expect(rope.bytes).toBe(4 * (2 * 512 * 32 * 128 + 512 * 128));
    const decode = ROWS.find((r) => r.id === 'gqa-32-8-64-decode2048')!;
    expect(decode.bytes).toBe(4 * (2 * 32 * 64 + 2 * 2048 * 8 * 64));
    expect(decode.flops).toBe(4 * 2048 * 32 * 64);
  });

  it('selectRows matches ids, ops and groups, case-insensitively, or by RegExp', () => {
    expect(selectRows('decode').map((r) => r.id)).toEqual(['gqa-32-8-64-decode2048', 'gqa-32-4-64-decode2048', 'gqa-32-8-128-decode2048', 'gqa-32-32-128-decode2048', 'js-io-decode-32-8-128-kv2048']);
    expect(ROWS.find((r) => r.id === 'gqa-32-32-128-decode2048')!.title).toBe('MHA 32/32/128 decode over 2048');
    // 8 RoPE rows, the JS-in, JS-out RoPE row, and the decode step (its title names RoPE).
    expect(selectRows('RoPE').length).toBe(10);
    expect(selectRows('JS in, JS out').map((r) => [r.id, r.io])).toEqual([
      ['js-io-rmsnorm-2048-4096', 'js'],
      ['js-io-rope-q-512-128', 'js'],
      ['js-io-decode-32-8-128-kv2048', 'js'],
    ]);
    expect(selectRows(/^rmsnorm-/).length).toBe(3);
    expect(selectRows(['rmsnorm-1x4096', 'gqa-32-4']).map((r) => r.id)).toEqual(['rmsnorm-1x4096', 'add-rmsnorm-1x4096', 'gqa-32-4-64-prefill512', 'gqa-32-4-64-decode2048']);
    expect(selectRows().length).toBe(ROWS.length);
  });
});

describe('measurements', () => {
  it('GB/s and GFLOP/s come from the row bytes/flops and the median time', () => {
    const row = ROWS.find((r) => r.id === 'gqa-32-8-64-prefill512')!;
    const m = measured(row, summarize([4, 1, 2]), { sum: 0, absSum: 0, finite: true });
    expect(m.stats.medianMs).toBe(2);
    expect(m.gbps).toBeCloseTo(row.bytes / 2e-3 / 1e9, 12);
    expect(m.gflops).toBeCloseTo(row.flops! / 2e-3 / 1e9, 12);
    expect(throughput({ metric: 'GFLOP/s' }, m)).toBe(m.gflops);
    expect(throughput({ metric: 'GB/s' }, m)).toBe(m.gbps);
  });

  it('ratios pair every backend with every peer, and copy fractions are GB/s over the copy limit', () => {
    const row = fixtureRow();
    expect(row.ratios).toEqual([
      { subject: 'cpu', peer: 'ort-web', speedup: 0.2 },
      { subject: 'wasm', peer: 'ort-web', speedup: 2 },
    ]);
    expect(row.copyFraction.wasm).toBeCloseTo(0.75, 12);
    expect(row.copyFraction.cpu).toBeCloseTo(0.075, 12);
    expect(rowRatios(row.results, CONTENDERS, null).copyFraction).toEqual({});
  });
});

describe('targets', () => {
  const [speed, copy, within] = ROWS.find((r) => r.id === 'rmsnorm-2048x4096')!.targets;

  it('speedup: wasm 2x ort-web meets >= 1.5x', () => {
    const t = evaluateTarget(fixtureRow(), speed, 1);
    expect(t).toMatchObject({ status: 'met', measured: 2, description: 'wasm >= 1.5x ort-web' });
  });

  it('copy fraction: exactly 75% of copy meets >= 75%', () => {
    const t = evaluateTarget(fixtureRow(), copy, 1);
    expect(t.status).toBe('met');
    expect(t.measured).toBeCloseTo(0.75, 12);
  });

  it('within: judged only at the target thread count, n/a otherwise', () => {
    expect(evaluateTarget(fixtureRow(), within, 1)).toMatchObject({ status: 'n/a', measured: null });
    // ort-node did not run in the fixture.
    expect(evaluateTarget(fixtureRow(), within, 2)).toMatchObject({ status: 'n/a', reason: 'ort-node did not run' });
    const spec = { kind: 'within' as const, subject: 'wasm', peer: 'ort-web', max: 1.2, threads: 2 };
    expect(evaluateTarget(fixtureRow(), spec, 2)).toMatchObject({ status: 'met', measured: 0.5 });
    expect(evaluateTarget(fixtureRow(), { ...spec, subject: 'cpu' }, 2)).toMatchObject({ status: 'not met', measured: 5 });
    expect(describeTarget(spec)).toBe('2 threads: wasm within 1.2x of ort-web');
  });

  it('a target whose subject failed or was skipped is n/a with the reason', () => {
    const t = evaluateTarget(fixtureAttentionRow(), { kind: 'speedup', subject: 'cpu', peer: 'ort-web', min: 4 }, 1);
    expect(t.status).toBe('n/a');
    expect(t.reason).toBe('cpu failed: <boom> & "quotes"');
    const skipped = evaluateTarget(fixtureRow(), { kind: 'speedup', subject: 'webgpu', peer: 'ort-web', min: 1 }, 1);
    expect(skipped).toMatchObject({ status: 'n/a', reason: 'webgpu skipped: no GPU adapter' });
  });

  it('speedup below the bar is not met', () => {
    const t = evaluateTarget(fixtureAttentionRow(), { kind: 'speedup', subject: 'wasm', peer: 'ort-web', min: 8 }, 1);
    expect(t).toMatchObject({ status: 'not met', measured: 6 });
  });
});

describe('JS in, JS out rows', () => {
  it('are held to 4x onnxruntime-web (the decode step: its GroupQueryAttention decode path)', () => {
    const targets = selectRows('JS in, JS out').map((r) => r.targets);
    expect(targets).toEqual([
      [{ kind: 'speedup', subject: 'wasm', peer: 'ort-web', min: 4 }],
      [{ kind: 'speedup', subject: 'wasm', peer: 'ort-web', min: 4 }],
      [{ kind: 'speedup', subject: 'wasm', peer: 'ort-web-gqa', min: 4 }],
    ]);
  });

  it('measure upload + op + read back on cpu and wasm, within tolerance of the float64 reference (decode: RoPE before attention)', async () => {
    const report = await runBench({ backends: ['cpu', 'wasm'], peers: ['ort-web'], filter: 'js-io', quick: true });
    expect(report.rows.map((r) => r.id)).toEqual(['js-io-rmsnorm-2048-4096', 'js-io-rope-q-512-128', 'js-io-decode-32-8-128-kv2048']);
    for (const row of report.rows) {
      for (const id of ['cpu', 'wasm']) {
        const r = row.results[id];
        expect(r.status, `${row.id} ${id}`).toBe('ok');
        if (r.status === 'ok') expect(r.toleranceRatio!).toBeLessThanOrEqual(1);
      }
      const peer = row.id.includes('decode') ? 'ort-web-gqa' : 'ort-web';
      const r = row.results[peer];
      // onnxruntime-web is an optional dependency: when present, it agrees with the reference too.
      if (r && r.status !== 'skipped') expect(r.status === 'ok' && r.toleranceRatio! <= 1, `${row.id} ${peer}`).toBe(true);
    }
  }, 120_000);
});
