/**
 * The float64 reference against onnxruntime (an independent implementation, computing in
 * f32), through one-node ONNX models built in memory by @llama-ops/onnx-peer. Tolerances are
 * SPEC.md's f32 bounds: ORT must land within them of the reference exactly as a backend must.
 */
import {
  attentionModel,
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
} from '@llama-ops/onnx-peer';
import type { RopeScaling } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import { compare, maxAbsValid, ropeBounds, TOLERANCES } from '../src/suite.js';
import { Rng, sizeOf } from '../src/cases/data.js';
import { referenceAddRmsnorm, referenceGqa, referenceRmsnorm, referenceRope, referenceRopeFrequencies, referenceRopePositions } from '../src/reference/index.js';

const TOL = TOLERANCES.f32;

function expectPass(c: ReturnType<typeof compare>) {
  expect(c.message, c.message).toMatch(/within tolerance/);
  expect(c.pass).toBe(true);
}

describe.each<OrtRuntime>(['node', 'web'])('reference vs onnxruntime-%s', (runtime) => {
  // The web runtime (WASM) repeats a representative subset, to check the peer works there too.
  const full = runtime === 'node';

  describe('RMSNormalization (opset 23) and SkipSimplifiedLayerNormalization', () => {
    const shapes = full ? [[4, 6], [3, 64], [2, 4096], [2, 3, 96]] : [[3, 64]];
    it.each(shapes)('rmsnorm of shape %j (eps 1e-5), and Gemma weightOffset 1 as scale = 1 + w', async (...shape) => {
      const rng = new Rng(`ort-rms-${shape}`);
      const d = shape[shape.length - 1];
      const x = rng.array(sizeOf(shape), 3);
      const w = rng.range(d, -1, 1);
      const ref = referenceRmsnorm(x, shape, w, { eps: 1e-5 });
      const { Y } = await runOrt(runtime, rmsNormalizationModel({ shape, epsilon: 1e-5 }), { X: f32(x, shape), scale: f32(w, [d]) });
      expectPass(compare(toFloat32(Y), ref, (i) => TOL.rmsnorm * Math.max(1, Math.abs(ref[i])), 'ORT RMSNormalization', shape));
      const gemma = referenceRmsnorm(x, shape, w, { eps: 1e-6, weightOffset: 1 });
      const g = await runOrt(runtime, rmsNormalizationModel({ shape, epsilon: 1e-6 }), { X: f32(x, shape), scale: f32(w.map((v) => v + 1), [d]) });
      expectPass(compare(toFloat32(g.Y), gemma, (i) => TOL.rmsnorm * Math.max(1, Math.abs(gemma[i])), 'ORT RMSNormalization (1 + w)', shape));
    });

    it('fused add + norm returns the sum and its normalisation', async () => {
      const shape = [3, 128];
      const rng = new Rng('ort-skip');
      const x = rng.array(sizeOf(shape), 2);
      const r = rng.array(sizeOf(shape), 2);
      const w = rng.range(128, 0.5, 1.5);
      const ref = referenceAddRmsnorm(x, r, shape, w, { eps: 1e-6 });
      const out = await runOrt(runtime, skipSimplifiedLayerNormModel({ shape, epsilon: 1e-6 }), { input: f32(x, shape), skip: f32(r, shape), gamma: f32(w, [128]) });
      expectPass(compare(toFloat32(out.output), ref.y, (i) => TOL.rmsnorm * Math.max(1, Math.abs(ref.y[i])), 'ORT y', shape));
      expectPass(compare(toFloat32(out.input_skip_bias_sum), ref.sum, (i) => TOL.rmsnorm * Math.max(1, Math.abs(ref.sum[i])), 'ORT sum', shape));
    });
  });

  describe('RotaryEmbedding (opset 23)', () => {
    interface RopeCfg {
      name: string;
      shape: [number, number, number, number];
      rotaryDim?: number;
      interleaved?: boolean;
      theta?: number;
      scaling?: RopeScaling;
      maxPosition: number;
    }
    const LLAMA31: RopeScaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
    const configs: RopeCfg[] = [
      { name: 'full rotary, rotate_half, d 64', shape: [2, 3, 4, 64], maxPosition: 500 },
      { name: 'full rotary, interleaved, d 64', shape: [2, 3, 4, 64], interleaved: true, maxPosition: 500 },
      { name: 'partial rotary 32 of 64, rotate_half', shape: [1, 4, 2, 64], rotaryDim: 32, maxPosition: 4000 },
      { name: 'partial rotary 16 of 80, interleaved', shape: [1, 4, 2, 80], rotaryDim: 16, interleaved: true, maxPosition: 4000 },
      { name: 'llama3 scaling, d 128, positions up to 2^20 - 1', shape: [2, 2, 4, 128], theta: 5e5, scaling: LLAMA31, maxPosition: 2 ** 20 - 1 },
      { name: 'yarn (attention factor folded into the caches), d 64', shape: [1, 3, 2, 64], scaling: { type: 'yarn', factor: 16, originalMaxPositionEmbeddings: 4096 }, maxPosition: 60000 },
    ];
    it.each(full ? configs : configs.slice(0, 1).concat(configs.slice(4, 5)))('$name', async (cfg) => {
      const rng = new Rng(`ort-rope-${cfg.name}`);
      const [B, S, H, D] = cfg.shape;
      const rotaryDim = cfg.rotaryDim ?? D;
      const positions = Int32Array.from({ length: B * S }, () => rng.int(0, cfg.maxPosition));
      const x = rng.array(sizeOf(cfg.shape), 2);
      const options = { positions, rotaryDim, interleaved: cfg.interleaved, theta: cfg.theta, scaling: cfg.scaling };
      const ref = referenceRope(x, cfg.shape, options);
      const { maxPosition } = referenceRopePositions(positions, B, S);
      const freq = referenceRopeFrequencies(rotaryDim, cfg.theta ?? 1e4, cfg.scaling, maxPosition);
      // Per-token caches: no [maxPosition, rotaryDim/2] table for positions up to 2^20.
      const { cos, sin } = rotaryCaches(freq.invFreq, positions, freq.attentionFactor);
      const model = rotaryEmbeddingModel({ batch: B, seq: S, heads: H, headDim: D, rotaryDim, interleaved: cfg.interleaved, cache: { kind: 'perToken' } });
      const half = rotaryDim / 2;
      const { Y } = await runOrt(runtime, model, { X: f32(x, [B, S, H * D]), cos_cache: f32(cos, [B, S, half]), sin_cache: f32(sin, [B, S, half]) });
      const bounds = ropeBounds({ op: 'rope', x, shape: cfg.shape, options }, TOL.rope);
      expectPass(compare(toFloat32(Y), ref, (i) => bounds[i], `ORT RotaryEmbedding (${cfg.name})`, cfg.shape));
    });

    if (full) {
      it('position-id caches [maxPositions, rotaryDim/2] with int64 position_ids give the same result', async () => {
        const rng = new Rng('ort-rope-ids');
        const shape: [number, number, number, number] = [2, 3, 2, 32];
        const positions = Int32Array.from([0, 1, 2, 7, 5, 63]);
        const x = rng.array(sizeOf(shape), 2);
        const ref = referenceRope(x, shape, { positions });
        const freq = referenceRopeFrequencies(32, 1e4);
        const { cos, sin } = rotaryCaches(freq.invFreq, Array.from({ length: 64 }, (_, i) => i));
        const model = rotaryEmbeddingModel({ batch: 2, seq: 3, heads: 2, headDim: 32, cache: { kind: 'positionIds', maxPositions: 64 } });
        const { Y } = await runOrt(runtime, model, { X: f32(x, [2, 3, 64]), cos_cache: f32(cos, [64, 16]), sin_cache: f32(sin, [64, 16]), position_ids: i64(positions, [2, 3]) });
        const bounds = ropeBounds({ op: 'rope', x, shape, options: { positions } }, TOL.rope);
        expectPass(compare(toFloat32(Y), ref, (i) => bounds[i], 'ORT RotaryEmbedding (position ids)', shape));
      });
    }
  });

  describe('GroupQueryAttention (com.microsoft): causal, bottom-right, against a KV cache', () => {
    interface GqaCfg {
      name: string;
      B: number;
      Sq: number;
      Skv: number;
      Hq: number;
      Hkv: number;
      D: number;
      kvLength: number[];
      window?: number;
      softcap?: number;
      sinks?: boolean;
    }
    const configs: GqaCfg[] = [
      { name: 'decode, Hq 8 / Hkv 2, d 64, 20 keys', B: 1, Sq: 1, Skv: 24, Hq: 8, Hkv: 2, D: 64, kvLength: [20] },
      { name: 'first prompt (seqQ = kvLength = 7), MQA 4 / 1', B: 1, Sq: 7, Skv: 7, Hq: 4, Hkv: 1, D: 32, kvLength: [7] },
      { name: 'chunked prefill: 4 queries at the end of 12 keys, 7 / 1', B: 1, Sq: 4, Skv: 16, Hq: 7, Hkv: 1, D: 16, kvLength: [12] },
      { name: 'ragged batch decode, kvLength [10, 3]', B: 2, Sq: 1, Skv: 12, Hq: 4, Hkv: 2, D: 32, kvLength: [10, 3] },
      { name: 'window 4 in a prefill of 9', B: 1, Sq: 9, Skv: 9, Hq: 4, Hkv: 2, D: 32, kvLength: [9], window: 4 },
      { name: 'window 5 decode at the end of 30 keys', B: 1, Sq: 1, Skv: 32, Hq: 4, Hkv: 2, D: 32, kvLength: [30], window: 5 },
      { name: 'softcap 30 with large scores', B: 1, Sq: 3, Skv: 10, Hq: 4, Hkv: 2, D: 64, kvLength: [10], softcap: 30 },
      { name: 'sinks (head_sink) in a chunk of 3 at the end of 11 keys', B: 1, Sq: 3, Skv: 12, Hq: 4, Hkv: 2, D: 32, kvLength: [11], sinks: true },
      { name: 'Llama-3-8B-like decode 32 / 8 / 128', B: 1, Sq: 1, Skv: 40, Hq: 32, Hkv: 8, D: 128, kvLength: [33] },
    ];
    it.each(full ? configs : [configs[0], configs[4]])('$name', async (cfg) => {
      const rng = new Rng(`ort-gqa-${cfg.name}`);
      const qkScale = cfg.softcap ? 4 : 1;
      const q = rng.array(cfg.B * cfg.Sq * cfg.Hq * cfg.D, qkScale);
      const k = rng.array(cfg.B * cfg.Skv * cfg.Hkv * cfg.D, qkScale);
      const v = rng.array(cfg.B * cfg.Skv * cfg.Hkv * cfg.D, 1);
      const shapes = { q: [cfg.B, cfg.Sq, cfg.Hq, cfg.D], k: [cfg.B, cfg.Skv, cfg.Hkv, cfg.D], v: [cfg.B, cfg.Skv, cfg.Hkv, cfg.D] };
      const sinks = cfg.sinks ? rng.range(cfg.Hq, -2, 2) : undefined;
      const ref = referenceGqa(q, k, v, shapes, { kvLength: cfg.kvLength, window: cfg.window, softcap: cfg.softcap, sinks });
      const { feeds, pastLength } = gqaFeeds({ q, k, v, batch: cfg.B, seqQ: cfg.Sq, seqKV: cfg.Skv, headsQ: cfg.Hq, headsKV: cfg.Hkv, headDim: cfg.D, kvLength: cfg.kvLength, sinks });
      const model = groupQueryAttentionModel({
        batch: cfg.B,
        seqQ: cfg.Sq,
        pastLength,
        headsQ: cfg.Hq,
        headsKV: cfg.Hkv,
        headDim: cfg.D,
        softcap: cfg.softcap,
        window: cfg.window,
        sinks: cfg.sinks,
      });
      const { output } = await runOrt(runtime, model, feeds);
      const bound = TOL.gqa * Math.max(1, maxAbsValid(v, shapes.v, cfg.kvLength));
      expectPass(compare(toFloat32(output), ref, () => bound, `ORT GroupQueryAttention (${cfg.name})`, [cfg.B, cfg.Sq, cfg.Hq, cfg.D]));
    });
  });

  describe('Attention (opset 23)', () => {
    interface AttnCfg {
      name: string;
      B: number;
      Sq: number;
      Skv: number;
      Hq: number;
      Hkv: number;
      D: number;
      Dv?: number;
      causal?: boolean;
      softcap?: number;
      mask?: [number, number, number, number];
    }
    const configs: AttnCfg[] = [
      { name: 'causal prefill of 8, GQA 4 / 2', B: 2, Sq: 8, Skv: 8, Hq: 4, Hkv: 2, D: 32, causal: true },
      { name: 'non-causal, 3 queries over 10 keys, dv 48 != d 32', B: 1, Sq: 3, Skv: 10, Hq: 2, Hkv: 1, D: 32, Dv: 48, causal: false },
      { name: 'non-causal with an additive mask [1, 1, Sq, Skv]', B: 2, Sq: 4, Skv: 6, Hq: 4, Hkv: 4, D: 16, causal: false, mask: [1, 1, 4, 6] },
      { name: 'non-causal with a full mask [B, Hq, Sq, Skv]', B: 2, Sq: 2, Skv: 5, Hq: 2, Hkv: 1, D: 16, causal: false, mask: [2, 2, 2, 5] },
      { name: 'causal with softcap 20', B: 1, Sq: 6, Skv: 6, Hq: 2, Hkv: 2, D: 64, causal: true, softcap: 20 },
    ];
    it.each(full ? configs : configs.slice(0, 1))('$name', async (cfg) => {
      const rng = new Rng(`ort-attn-${cfg.name}`);
      const Dv = cfg.Dv ?? cfg.D;
      const qk = cfg.softcap ? 4 : 1;
      const q = rng.array(cfg.B * cfg.Sq * cfg.Hq * cfg.D, qk);
      const k = rng.array(cfg.B * cfg.Skv * cfg.Hkv * cfg.D, qk);
      const v = rng.array(cfg.B * cfg.Skv * cfg.Hkv * Dv, 1);
      const mask = cfg.mask ? { data: rng.array(sizeOf(cfg.mask), 2), shape: cfg.mask } : undefined;
      const shapes = { q: [cfg.B, cfg.Sq, cfg.Hq, cfg.D], k: [cfg.B, cfg.Skv, cfg.Hkv, cfg.D], v: [cfg.B, cfg.Skv, cfg.Hkv, Dv] };
      const ref = referenceGqa(q, k, v, shapes, { causal: cfg.causal ?? false, softcap: cfg.softcap, mask });
      const model = attentionModel({ batch: cfg.B, seqQ: cfg.Sq, seqKV: cfg.Skv, headsQ: cfg.Hq, headsKV: cfg.Hkv, headDim: cfg.D, headDimV: Dv, causal: cfg.causal, softcap: cfg.softcap, maskDims: cfg.mask });
      const feeds = { Q: f32(q, [cfg.B, cfg.Sq, cfg.Hq * cfg.D]), K: f32(k, [cfg.B, cfg.Skv, cfg.Hkv * cfg.D]), V: f32(v, [cfg.B, cfg.Skv, cfg.Hkv * Dv]), ...(mask ? { attn_mask: f32(mask.data, mask.shape) } : {}) };
      const { Y } = await runOrt(runtime, model, feeds);
      const bound = TOL.gqa * Math.max(1, maxAbsValid(v, shapes.v, undefined));
      expectPass(compare(toFloat32(Y), ref, () => bound, `ORT Attention (${cfg.name})`, [cfg.B, cfg.Sq, cfg.Hq, Dv]));
    });
  });
});
