import { describe, expect, it } from 'vitest';
import {
  attentionModel,
  createOrtRunner,
  f16,
  f32,
  gqaFeeds,
  groupQueryAttentionModel,
  i64,
  rmsNormalizationModel,
  rotaryCaches,
  rotaryEmbeddingModel,
  runOrt,
  skipSimplifiedLayerNormModel,
  toFloat32,
  type OrtRuntime,
} from '../src/index.js';

const runtimes: OrtRuntime[] = ['node', 'web'];
const seq = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

function expectClose(actual: Float32Array, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
}

describe.each(runtimes)('onnx-peer on onnxruntime-%s', (runtime) => {
  it('RMSNormalization normalises each row by its root mean square', async () => {
    const x = seq(8, (i) => i - 3);
    const w = seq(4, (i) => 1 + 0.1 * i);
    const { Y } = await runOrt(runtime, rmsNormalizationModel({ shape: [2, 4], epsilon: 1e-6 }), { X: f32(x, [2, 4]), scale: f32(w, [4]) });
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(x.subarray(r * 4, r * 4 + 4));
      const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 4 + 1e-6);
      row.forEach((v, i) => want.push((v / rms) * w[i]));
    }
    expectClose(toFloat32(Y), want, 1e-6);
  });

  it('SkipSimplifiedLayerNormalization returns the sum and its normalisation', async () => {
    const x = seq(8, (i) => i - 3);
    const skip = seq(8, (i) => 0.5 * i);
    const w = seq(4, () => 1);
    const out = await runOrt(runtime, skipSimplifiedLayerNormModel({ shape: [2, 4] }), {
      input: f32(x, [2, 4]),
      skip: f32(skip, [2, 4]),
      gamma: f32(w, [4]),
    });
    const sum = x.map((v, i) => v + skip[i]);
    expectClose(toFloat32(out.input_skip_bias_sum), sum, 0);
    const y = toFloat32(out.output);
    const rms0 = Math.sqrt(Array.from(sum.subarray(0, 4)).reduce((a, v) => a + v * v, 0) / 4 + 1e-6);
    expect(y[1]).toBeCloseTo(sum[1] / rms0, 5);
  });

  it('RotaryEmbedding rotates (i, i + d/2) pairs by position * invFreq (bshd as 3D)', async () => {
    const invFreq = [1, 0.01];
    const { cos, sin } = rotaryCaches(invFreq, [0, 1, 2, 3]);
    const x = seq(16, (i) => i + 1);
    const model = rotaryEmbeddingModel({ batch: 2, seq: 2, heads: 1, headDim: 4, cache: { kind: 'positionIds', maxPositions: 4 } });
    const { Y } = await runOrt(runtime, model, {
      X: f32(x, [2, 2, 4]),
      cos_cache: f32(cos, [4, 2]),
      sin_cache: f32(sin, [4, 2]),
      position_ids: i64([0, 1, 2, 3], [2, 2]),
    });
    const y = toFloat32(Y);
    // token 1 (position 1), pair 0 = (x[4], x[6]) rotated by 1 rad
    expect(y[4]).toBeCloseTo(x[4] * Math.cos(1) - x[6] * Math.sin(1), 5);
    expect(y[6]).toBeCloseTo(x[6] * Math.cos(1) + x[4] * Math.sin(1), 5);
  });

  it('GroupQueryAttention and Attention agree on a decode step against a KV cache, also in f16', async () => {
    const [B, Sq, Skv, Hq, Hkv, D] = [1, 1, 5, 4, 2, 8];
    const q = seq(B * Sq * Hq * D, (i) => Math.sin(i));
    const k = seq(B * Skv * Hkv * D, (i) => Math.cos(0.7 * i));
    const v = seq(B * Skv * Hkv * D, (i) => (i % 7) - 3);
    const { feeds, pastLength } = gqaFeeds({ q, k, v, batch: B, seqQ: Sq, seqKV: Skv, headsQ: Hq, headsKV: Hkv, headDim: D, kvLength: [Skv] });
    const gqa = toFloat32((await runOrt(runtime, groupQueryAttentionModel({ batch: B, seqQ: Sq, pastLength, headsQ: Hq, headsKV: Hkv, headDim: D }), feeds)).output);
    const attn = await createOrtRunner({ runtime, model: attentionModel({ batch: B, seqQ: Sq, seqKV: Skv, headsQ: Hq, headsKV: Hkv, headDim: D }) });
    const prepared = attn.prepare({ Q: f32(q, [B, Sq, Hq * D]), K: f32(k, [B, Skv, Hkv * D]), V: f32(v, [B, Skv, Hkv * D]) });
    const y1 = toFloat32((await attn.run(prepared)).Y);
    const y2 = toFloat32((await attn.run(prepared)).Y);
    await attn.release();
    expectClose(gqa, y1, 1e-5);
    expect(y2).toEqual(y1);
    const half = await runOrt(runtime, attentionModel({ batch: B, seqQ: Sq, seqKV: Skv, headsQ: Hq, headsKV: Hkv, headDim: D, dtype: 'float16' }), {
      Q: f16(q, [B, Sq, Hq * D]),
      K: f16(k, [B, Skv, Hkv * D]),
      V: f16(v, [B, Skv, Hkv * D]),
    });
    expect(half.Y.type).toBe('float16');
    expectClose(toFloat32(half.Y), y1, 1e-2);
  });
});
