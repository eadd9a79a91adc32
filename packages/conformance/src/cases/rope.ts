/** RoPE cases (SPEC.md "rope"): head dims, pairing, partial rotary, positions, in place, all scalings. */
import type { RopeScaling } from '@llama-ops/core';
import { Rng, sizeOf } from './data.js';
import { defineCase, withF16Variants } from './define.js';
import type { ConformanceCase, RopeCaseInputs } from './types.js';

type Shape4 = [number, number, number, number];
type RopeOpts = RopeCaseInputs['options'];

const rope = (
  group: string,
  detail: string,
  description: string,
  shape: Shape4,
  options: RopeOpts | ((rng: Rng) => RopeOpts),
  makeX?: (rng: Rng, shape: Shape4) => Float32Array,
): ConformanceCase =>
  defineCase('rope', group, detail, description, () => {
    const rng = new Rng(`rope/${group}/${detail}`);
    const o = typeof options === 'function' ? options(rng) : options;
    return { op: 'rope', shape, x: makeX ? makeX(rng, shape) : rng.array(sizeOf(shape), 2), options: o };
  });

/** `[batch * seq]` positions drawn uniformly from `[0, max]`. */
const randomPositions = (rng: Rng, count: number, max: number) => Int32Array.from({ length: count }, () => rng.int(0, max));

const LLAMA31: RopeScaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
const P20 = 2 ** 20;

/** LongRoPE factors `rotaryDim / 2` long, growing with the pair index as Phi-3's do. */
const longropeFactors = (pairs: number, top: number) => Array.from({ length: pairs }, (_, i) => 1 + ((top - 1) * i) / Math.max(1, pairs - 1));

function build(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const d of [6, 64, 80, 96, 128, 256]) {
    for (const interleaved of [false, true]) {
      cases.push(
        rope(
          'headDim',
          `d${d}-${interleaved ? 'interleaved' : 'half'}`,
          `headDim ${d}, pairs ${interleaved ? '(2i, 2i+1)' : '(i, i + d/2)'}, positions 5..7, theta 10000`,
          [2, 3, 2, d],
          { positions: 5, interleaved },
        ),
      );
    }
  }
  cases.push(rope('theta', '5e5', 'theta 500000 (Llama 3) at positions 1000..1003', [1, 4, 2, 64], { positions: 1000, theta: 5e5 }));
  cases.push(rope('theta', '1e6', 'theta 1e6 (Qwen 2) at positions 30000..30003, interleaved', [1, 4, 2, 64], { positions: 30000, theta: 1e6, interleaved: true }));
  cases.push(rope('theta', 'default-explicit', "scaling { type: 'default' } given explicitly", [1, 3, 2, 32], { positions: 7, scaling: { type: 'default' } }));

  const partial: Array<[number, number]> = [
    [64, 32],
    [128, 64],
    [80, 40],
    [96, 24],
    [6, 2],
    [7, 6],
    [10, 4],
  ];
  for (const [d, rd] of partial) {
    for (const interleaved of [false, true]) {
      if ((d === 80 || d === 96 || d === 6) && interleaved) continue;
      cases.push(
        rope(
          'rotaryDim',
          `d${d}-rd${rd}-${interleaved ? 'interleaved' : 'half'}`,
          `partial rotary: rotaryDim ${rd} of headDim ${d} (${interleaved ? 'interleaved' : 'rotate_half'}); dims ${rd}..${d - 1} pass through unchanged`,
          [2, 3, 3, d],
          { positions: 11, rotaryDim: rd, interleaved },
        ),
      );
    }
  }

  cases.push(rope('positions', 'zero', 'positions 0..3: position 0 is the identity', [2, 4, 2, 32], { positions: 0 }));
  cases.push(rope('positions', 'default', 'positions omitted: defaults to 0..seq-1', [1, 3, 2, 32], {}));
  cases.push(rope('positions', 'offset-2^20', 'offset 2^20 - 4: positions up to 2^20 - 1 (angles must be formed in float64)', [1, 4, 2, 64], { positions: P20 - 4 }));
  cases.push(rope('positions', 'offset-131072', 'decode step at position 131072 (f32 angles would be off by ~0.01 rad)', [1, 1, 4, 128], { positions: 131072, theta: 5e5 }));
  cases.push(
    rope('positions', 'explicit-random', 'explicit Int32Array positions [3, 4], random in [0, 2^20)', [3, 4, 2, 64], (rng) => ({
      positions: randomPositions(rng, 12, P20 - 1),
    })),
  );
  cases.push(
    rope('positions', 'explicit-edges', 'explicit positions with 0, 2^20 - 1, repeats and a descending run, per batch', [2, 4, 2, 32], {
      positions: Int32Array.from([0, P20 - 1, 3, 3, 9, 8, 7, 0]),
      interleaved: true,
    }),
  );
  cases.push(
    rope('positions', 'explicit-ragged', 'explicit positions continuing different cache lengths per batch (ragged decode)', [3, 1, 4, 64], {
      positions: Int32Array.from([17, 0, 4095]),
      theta: 5e5,
    }),
  );

  cases.push(rope('inPlace', 'half', 'inPlace: true writes into x and returns x', [2, 3, 2, 64], { positions: 3, inPlace: true }));
  cases.push(rope('inPlace', 'interleaved', 'inPlace with interleaved pairs', [2, 3, 2, 64], { positions: 3, inPlace: true, interleaved: true }));
  cases.push(rope('inPlace', 'partial', 'inPlace with rotaryDim 16 of 48: the pass-through dims stay as they were', [1, 3, 2, 48], { positions: 9, inPlace: true, rotaryDim: 16 }));
  cases.push(
    rope('inPlace', 'explicit-llama3', 'inPlace with explicit positions and llama3 scaling', [2, 2, 2, 128], (rng) => ({
      positions: randomPositions(rng, 4, 200000),
      inPlace: true,
      theta: 5e5,
      scaling: LLAMA31,
    })),
  );

  // Scaling: every type of SPEC.md.
  cases.push(rope('scaling', 'linear-4', 'linear factor 4: invFreq / 4, positions 16000..', [1, 3, 2, 64], { positions: 16000, scaling: { type: 'linear', factor: 4 } }));
  cases.push(rope('scaling', 'linear-0.5', 'linear factor 0.5, interleaved', [1, 3, 2, 32], { positions: 100, interleaved: true, scaling: { type: 'linear', factor: 0.5 } }));
  cases.push(
    rope('scaling', 'dynamic-below', 'dynamic NTK while the largest position + 1 <= maxPositionEmbeddings: unscaled', [1, 4, 2, 64], {
      positions: 4092,
      scaling: { type: 'dynamic', factor: 2, maxPositionEmbeddings: 4096 },
    }),
  );
  cases.push(
    rope('scaling', 'dynamic-above', 'dynamic NTK past maxPositionEmbeddings: theta grows with the largest position of the call', [1, 4, 2, 64], {
      positions: 8000,
      scaling: { type: 'dynamic', factor: 2, maxPositionEmbeddings: 2048 },
    }),
  );
  cases.push(
    rope('scaling', 'dynamic-partial-explicit', 'dynamic NTK with rotaryDim 32 of 64 and explicit positions (one past the limit)', [2, 2, 2, 64], {
      positions: Int32Array.from([5, 6, 100, 5000]),
      rotaryDim: 32,
      scaling: { type: 'dynamic', factor: 4, maxPositionEmbeddings: 4096 },
    }),
  );
  cases.push(rope('scaling', 'llama3-start', 'llama3 (factor 8, low 1, high 4, orig 8192), theta 5e5, d 128, positions 0..3', [1, 4, 2, 128], { positions: 0, theta: 5e5, scaling: LLAMA31 }));
  cases.push(rope('scaling', 'llama3-deep', 'llama3 at positions 100000..100003', [1, 4, 2, 128], { positions: 100000, theta: 5e5, scaling: LLAMA31 }));
  cases.push(
    rope('scaling', 'llama3-explicit', 'llama3 with explicit positions up to 2^20 - 1, interleaved', [2, 3, 2, 128], (rng) => ({
      positions: randomPositions(rng, 6, P20 - 1),
      theta: 5e5,
      interleaved: true,
      scaling: LLAMA31,
    })),
  );
  cases.push(
    rope('scaling', 'llama3-d64', 'llama3 (factor 32, low 1, high 4, orig 8192) with d 64 (Llama 3.2 1B)', [1, 3, 4, 64], {
      positions: 20000,
      theta: 5e5,
      scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    }),
  );
  cases.push(
    rope('scaling', 'yarn-default', 'yarn factor 4, orig 4096, default betas: attentionFactor 0.1 ln 4 + 1', [1, 3, 2, 64], {
      positions: 10000,
      scaling: { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096 },
    }),
  );
  cases.push(
    rope('scaling', 'yarn-40', 'yarn factor 40, orig 4096, d 128 (DeepSeek-like): attentionFactor ~1.37 scales both outputs', [1, 3, 2, 128], {
      positions: 150000,
      scaling: { type: 'yarn', factor: 40, originalMaxPositionEmbeddings: 4096, betaFast: 32, betaSlow: 1 },
    }),
  );
  cases.push(
    rope('scaling', 'yarn-mscale', 'yarn with mscale 1 and mscaleAllDim 0.5: attentionFactor is their mscale ratio', [1, 3, 2, 64], {
      positions: 5000,
      scaling: { type: 'yarn', factor: 8, originalMaxPositionEmbeddings: 2048, mscale: 1, mscaleAllDim: 0.5 },
    }),
  );
  cases.push(
    rope('scaling', 'yarn-explicit', 'yarn with attentionFactor 1.3, betaFast 16, betaSlow 2, truncate false, interleaved', [1, 3, 2, 64], {
      positions: 3000,
      interleaved: true,
      scaling: { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 2048, attentionFactor: 1.3, betaFast: 16, betaSlow: 2, truncate: false },
    }),
  );
  cases.push(
    rope('scaling', 'yarn-partial', 'yarn with rotaryDim 32 of 48', [2, 2, 2, 48], {
      positions: 9000,
      rotaryDim: 32,
      scaling: { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096 },
    }),
  );
  const lr = (max: number, orig: number, attentionFactor?: number): RopeScaling => ({
    type: 'longrope',
    shortFactor: longropeFactors(48, 1.1),
    longFactor: longropeFactors(48, 40),
    originalMaxPositionEmbeddings: orig,
    maxPositionEmbeddings: max,
    ...(attentionFactor === undefined ? {} : { attentionFactor }),
  });
  cases.push(
    rope('scaling', 'longrope-short', 'longrope (Phi-3-like, d 96) below the original context: short factors, default attentionFactor', [1, 3, 2, 96], {
      positions: 4000,
      scaling: lr(131072, 4096),
    }),
  );
  cases.push(
    rope('scaling', 'longrope-long', 'longrope with the largest position = original context: long factors', [1, 3, 2, 96], {
      positions: 4094,
      scaling: lr(131072, 4096),
    }),
  );
  cases.push(
    rope('scaling', 'longrope-explicit', 'longrope with explicit attentionFactor 1.2 and explicit positions (one past the original context)', [2, 2, 2, 96], {
      positions: Int32Array.from([0, 1, 2, 70000]),
      scaling: lr(131072, 4096, 1.2),
    }),
  );
  cases.push(
    rope('scaling', 'longrope-nofactor', 'longrope with maxPositionEmbeddings <= original: attentionFactor 1', [1, 2, 2, 96], {
      positions: 10,
      interleaved: true,
      scaling: lr(4096, 4096),
    }),
  );

  cases.push(
    rope('special', 'nan', 'a NaN in x makes both values of its pair NaN and nothing else', [1, 3, 2, 32], { positions: 2 }, (rng, s) => {
      const x = rng.array(sizeOf(s), 2);
      x[5] = NaN; // token 0, head 0, pair 5 (position 2)
      x[32 + 20] = NaN; // token 0, head 1, dim 20 = pair 4's b
      return x;
    }),
  );
  cases.push(
    rope(
      'special',
      'inf',
      'Inf in a pass-through dim stays Inf; Inf in a rotated pair at position > 0 becomes ±Inf in both values',
      [1, 2, 1, 16],
      { positions: 1, rotaryDim: 8 },
      (rng, s) => {
        const x = rng.array(sizeOf(s), 2);
        x[12] = Infinity; // pass-through
        x[16 + 1] = -Infinity; // token 1 (position 2), pair 1
        return x;
      },
    ),
  );
  cases.push(rope('special', 'large', '|x| ~ 1e30: the bound scales with |x|', [1, 2, 2, 32], { positions: 77 }, (rng, s) => rng.array(sizeOf(s), 1e30)));

  cases.push(rope('shape', 'decode-llama3-8b-q', 'Llama-3-8B-like q decode [4, 1, 32, 128] at position 2047, llama3 scaling', [4, 1, 32, 128], { positions: 2047, theta: 5e5, scaling: LLAMA31 }));
  cases.push(rope('shape', 'prefill-llama3-8b-k', 'Llama-3-8B-like k prefill [1, 16, 8, 128]', [1, 16, 8, 128], { positions: 0, theta: 5e5, scaling: LLAMA31 }));
  cases.push(rope('shape', 'odd-sizes', 'batch 3, seq 7, 5 heads, d 64', [3, 7, 5, 64], { positions: 13 }));
  cases.push(rope('shape', 'seq64', '[1, 64, 8, 64] (32K values)', [1, 64, 8, 64], { positions: 500, interleaved: true }));
  cases.push(rope('shape', 'large', '[2, 32, 32, 128] (256K values)', [2, 32, 32, 128], { positions: 1000, theta: 5e5 }));

  return withF16Variants(cases, [
    'rope/headDim/d64-half',
    'rope/headDim/d128-interleaved',
    'rope/headDim/d6-half',
    'rope/rotaryDim/d64-rd32-half',
    'rope/positions/explicit-random',
    'rope/positions/offset-2^20',
    'rope/inPlace/half',
    'rope/scaling/llama3-deep',
    'rope/scaling/yarn-40',
    'rope/scaling/longrope-long',
    'rope/special/nan',
    'rope/shape/decode-llama3-8b-q',
  ]);
}

/** Every RoPE case. */
export const ropeCases: readonly ConformanceCase[] = build();
