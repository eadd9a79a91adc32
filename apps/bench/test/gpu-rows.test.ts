/**
 * The GPU rows (`--size gpu`): the shapes the issue lists, in f32 and f16, their bytes and
 * FLOPs, the reduced quick stand-ins, and the inputs (tiled above a size, f16-exact for f16,
 * NaN past each batch entry's kvLength).
 */
import { fromFloat16Array, toFloat16Array } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import {
  GPU_QUICK_ROWS,
  GPU_ROWS,
  makeInputs,
  raggedLengths,
  randomValues,
  ROWS,
  rowsOfSize,
  selectRows,
  tensorValues,
  TILE_ABOVE,
  TILE_BLOCK,
  type BenchRow,
  type GqaRowParams,
} from '../src/rows.js';

/** Same length and bitwise-equal values (NaN equal to NaN). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

const byId = (rows: readonly BenchRow[], id: string) => {
  const row = rows.find((r) => r.id === id);
  if (!row) throw new Error(`no row ${id}; rows: ${rows.map((r) => r.id).join(', ')}`);
  return row;
};

describe('GPU rows', () => {
  it('hold every shape of the issue in f32 and f16, with unique ids', () => {
    const ids = GPU_ROWS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const dtype of ['f32', 'f16']) {
      for (const id of [
        'gpu-rmsnorm-8192x8192',
        'gpu-add-rmsnorm-8192x8192',
        'gpu-rope-q-s8192-d128',
        'gpu-gqa-32-8-128-prefill4096',
        'gpu-gqa-32-8-128-prefill16384',
        'gpu-gqa-32-8-128-decode32768',
        'gpu-gqa-32-8-128-decode32768-b16',
        'gpu-gqa-32-8-128-decode131072',
        'gpu-gqa-32-8-128-decode131072-b16',
        'gpu-gqa-32-32-128-decode8192',
        'gpu-gqa-32-1-128-decode32768',
      ]) {
        const row = byId(GPU_ROWS, `${id}-${dtype}`);
        expect(row.dtype).toBe(dtype);
        expect(row.size).toBe('gpu');
        expect(row.reducedFrom).toBeUndefined();
      }
    }
    expect(GPU_ROWS.length).toBe(22);
    expect(byId(GPU_ROWS, 'gpu-gqa-32-32-128-decode8192-f32').title).toBe('MHA 32/32/128 decode over 8192 f32');
    expect(byId(GPU_ROWS, 'gpu-gqa-32-1-128-decode32768-f16').title).toBe('MQA 32/1/128 decode over 32768 f16');
  });

  it('count bytes in the row dtype, the valid K/V rows once, and FLOPs over visible keys', () => {
    const n = 8192 * 8192;
    expect(byId(GPU_ROWS, 'gpu-rmsnorm-8192x8192-f32').bytes).toBe(4 * (2 * n + 8192));
    expect(byId(GPU_ROWS, 'gpu-add-rmsnorm-8192x8192-f16').bytes).toBe(2 * (4 * n + 8192));
    // x and out in f16, the cos/sin rows in f32.
    expect(byId(GPU_ROWS, 'gpu-rope-q-s8192-d128-f16').bytes).toBe(2 * 2 * 8192 * 32 * 128 + 4 * 8192 * 128);
    const decode = byId(GPU_ROWS, 'gpu-gqa-32-8-128-decode32768-b16-f32');
    const p = decode.params as GqaRowParams;
    expect(p.kvLength).toEqual(raggedLengths(16, 32768));
    const keys = p.kvLength.reduce((a, l) => a + l, 0);
    expect(decode.bytes).toBe(4 * (2 * 16 * 32 * 128 + 2 * keys * 8 * 128));
    expect(decode.flops).toBe(4 * 128 * 32 * keys);
    const prefill = byId(GPU_ROWS, 'gpu-gqa-32-8-128-prefill16384-f16');
    expect(prefill.flops).toBe((4 * 128 * 32 * 16384 * 16385) / 2);
  });

  it('ragged lengths run from full to a little over half, never below the one query', () => {
    expect(raggedLengths(16, 32768)).toHaveLength(16);
    expect(raggedLengths(16, 32768)[0]).toBe(32768);
    expect(raggedLengths(16, 32768)[15]).toBe(32768 - 15 * 1024);
    expect(raggedLengths(1, 64)).toEqual([64]);
    for (const l of raggedLengths(16, 64)) expect(l).toBeGreaterThan(32);
  });

  it('hold the GPU targets: >= ORT WebGPU (2x on attention), >= 70% of the device copy, long decode >= 50%', () => {
    const rms = byId(GPU_ROWS, 'gpu-rmsnorm-8192x8192-f32');
    expect(rms.targets).toEqual([
      { kind: 'speedup', subject: 'webgpu', peer: 'ort-webgpu', min: 1 },
      { kind: 'copyFraction', subject: 'webgpu', min: 0.7 },
    ]);
    expect(byId(GPU_ROWS, 'gpu-gqa-32-8-128-decode131072-f16').targets).toEqual([
      { kind: 'speedup', subject: 'webgpu', peer: 'ort-webgpu-gqa', min: 2 },
      { kind: 'copyFraction', subject: 'webgpu', min: 0.5 },
    ]);
    expect(byId(GPU_ROWS, 'gpu-gqa-32-32-128-decode8192-f32').targets).toEqual([{ kind: 'speedup', subject: 'webgpu', peer: 'ort-webgpu-gqa', min: 2 }]);
  });

  it('quick rows stand in for every full row at reduced shapes, without targets', () => {
    expect(GPU_QUICK_ROWS.length).toBe(GPU_ROWS.length);
    GPU_QUICK_ROWS.forEach((q, i) => {
      expect(q.reducedFrom).toBe(GPU_ROWS[i].title);
      expect(q.dtype).toBe(GPU_ROWS[i].dtype);
      expect(q.targets).toEqual([]);
      expect(q.bytes).toBeLessThan(GPU_ROWS[i].bytes);
      expect(q.bytes).toBeLessThan(32e6);
      // onnxruntime-web 1.30's flash attention starts at 32 tokens, and misbehaves on software adapters.
      if (q.params.kind === 'gqa' && q.params.phase === 'prefill') expect(q.params.seqQ).toBeLessThan(32);
    });
    expect(rowsOfSize('gpu', true)).toBe(GPU_QUICK_ROWS);
    expect(rowsOfSize('gpu')).toBe(GPU_ROWS);
    expect(rowsOfSize('default', true)).toBe(ROWS);
    expect(selectRows('b16', GPU_QUICK_ROWS).map((r) => r.id)).toEqual([
      'gpu-gqa-32-8-128-decode64-b16-f32',
      'gpu-gqa-32-8-128-decode64-b16-f16',
      'gpu-gqa-32-8-128-decode256-b16-f32',
      'gpu-gqa-32-8-128-decode256-b16-f16',
    ]);
  });
});

describe('row inputs', () => {
  it('default rows keep exactly the values they always had', () => {
    const row = byId(ROWS, 'rmsnorm-2048x4096');
    const inputs = makeInputs(row);
    if (inputs.kind !== 'rmsnorm') throw new Error('unexpected inputs');
    // (Compared element by element in a plain loop: toEqual on 8M elements takes minutes.)
    expect(sameValues(inputs.x, randomValues(2048 * 4096, 1))).toBe(true);
    expect(sameValues(inputs.weight, randomValues(4096, 3, 0.5).map((w) => 1 + w))).toBe(true);
  });

  it('tile a prime-length random block above TILE_ABOVE elements', () => {
    const n = TILE_ABOVE + 12345;
    const v = tensorValues(n, 9, 'f32');
    expect(v.length).toBe(n);
    expect(sameValues(v.subarray(0, TILE_BLOCK), randomValues(TILE_BLOCK, 9))).toBe(true);
    for (const i of [0, 17, TILE_BLOCK - 1, 5 * TILE_BLOCK + 3]) expect(v[i + TILE_BLOCK]).toBe(v[i]);
    expect(v[n - 1]).toBe(v[(n - 1) % TILE_BLOCK]);
  });

  it('f16 rows hold values exactly representable in f16', () => {
    const row = byId(GPU_QUICK_ROWS, 'gpu-rope-q-s16-d128-f16');
    const inputs = makeInputs(row);
    if (inputs.kind !== 'rope') throw new Error('unexpected inputs');
    expect(sameValues(fromFloat16Array(toFloat16Array(inputs.x)), inputs.x)).toBe(true);
    // ... and still random: the f32 row of the same shape differs from it in most elements.
    const f32 = makeInputs(byId(GPU_QUICK_ROWS, 'gpu-rope-q-s16-d128-f32'));
    if (f32.kind !== 'rope') throw new Error('unexpected inputs');
    expect(f32.x.filter((x, i) => x !== inputs.x[i]).length).toBeGreaterThan(f32.x.length / 2);
  });

  it('a ragged KV cache is NaN past each batch entry’s kvLength, and finite before it', () => {
    const row = byId(GPU_QUICK_ROWS, 'gpu-gqa-32-8-128-decode64-b16-f32');
    const p = row.params as GqaRowParams;
    const inputs = makeInputs(row);
    if (inputs.kind !== 'gqa') throw new Error('unexpected inputs');
    const kvRow = p.headsKV * p.headDim;
    for (const b of [0, 7, 15]) {
      const start = b * p.seqKV * kvRow;
      const valid = p.kvLength[b] * kvRow;
      expect(inputs.k.subarray(start, start + valid).every(Number.isFinite)).toBe(true);
      expect(inputs.v.subarray(start + valid, start + p.seqKV * kvRow).every(Number.isNaN)).toBe(true);
    }
  });
});
