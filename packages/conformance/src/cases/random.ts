/**
 * Seeded random cases (fast-check): valid shapes and options per op, data from a seeded PRNG.
 * `fc.check` with a fixed seed makes a failure reproducible; fast-check then shrinks it to a
 * small counterexample, printed with the seed and path to replay it.
 */
import fc from 'fast-check';
import type { RopeScaling } from '@llama-ops/core';
import { Rng, sizeOf } from './data.js';
import { defineCase } from './define.js';
import { gqaInputs, type GqaExtras } from './gqa.js';
import type { CaseOp, ConformanceCase, GqaCaseInputs, KvCacheStep, RopeCaseInputs } from './types.js';

/** Default seed of the random mode (override with `CONFORMANCE_SEED`). */
export const DEFAULT_SEED = 20250601;

const describeParams = (p: unknown) => JSON.stringify(p, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v));

const rmsnormArb = (fused: boolean) =>
  fc.record({
    rows: fc.integer({ min: 1, max: 6 }),
    hidden: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 1100 })),
    eps: fc.constantFrom(1e-6, 1e-5, 1e-3),
    weightOffset: fc.constantFrom(0, 0, 1),
    magnitude: fc.constantFrom(1e-3, 1, 1, 1e4, 1e18),
    residual: fused ? fc.constant(true) : fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });

type RmsParams = ReturnType<typeof rmsnormArb> extends fc.Arbitrary<infer T> ? T : never;

function rmsnormCase(fused: boolean, p: RmsParams): ConformanceCase {
  const op = fused ? 'addRmsnorm' : 'rmsnorm';
  return defineCase(op, 'random', describeParams(p), `random ${op}`, () => {
    const rng = new Rng(p.seed);
    const shape = [p.rows, p.hidden];
    // |h| must stay <= 1e18 (SPEC), so x and residual each take half the magnitude.
    const m = p.residual ? p.magnitude / 2 : p.magnitude;
    const x = rng.array(sizeOf(shape), m);
    const weight = rng.range(p.hidden, -1.5, 1.5);
    const residual = p.residual ? rng.array(sizeOf(shape), m) : undefined;
    const options = { eps: p.eps, weightOffset: p.weightOffset };
    return fused ? { op: 'addRmsnorm', x, residual: residual as Float32Array, shape, weight, options } : { op: 'rmsnorm', x, residual, shape, weight, options };
  });
}

const ropeArb = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    seq: fc.integer({ min: 1, max: 5 }),
    heads: fc.integer({ min: 1, max: 4 }),
    pairs: fc.integer({ min: 1, max: 64 }),
    passThrough: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 17 })),
    interleaved: fc.boolean(),
    theta: fc.constantFrom(10000, 500000, 1000000, 250),
    explicitPositions: fc.boolean(),
    highPositions: fc.boolean(),
    scaling: fc.constantFrom('default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope'),
    inPlace: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((p) => ({ ...p, rotaryDim: 2 * p.pairs, headDim: 2 * p.pairs + p.passThrough }));

function randomScaling(type: string, rng: Rng, rotaryDim: number): RopeScaling {
  switch (type) {
    case 'linear':
      return { type: 'linear', factor: rng.uniform(0.25, 16) };
    case 'dynamic':
      return { type: 'dynamic', factor: rng.uniform(1, 8), maxPositionEmbeddings: rng.int(64, 8192) };
    case 'llama3': {
      const low = rng.uniform(0.5, 2);
      return { type: 'llama3', factor: rng.uniform(2, 32), lowFreqFactor: low, highFreqFactor: low + rng.uniform(0.5, 6), originalMaxPositionEmbeddings: rng.int(512, 16384) };
    }
    case 'yarn': {
      const s: RopeScaling = { type: 'yarn', factor: rng.uniform(1, 64), originalMaxPositionEmbeddings: rng.int(256, 8192) };
      if (rng.next() < 0.5) s.betaFast = rng.uniform(8, 64);
      if (rng.next() < 0.5) s.betaSlow = rng.uniform(0.5, 4);
      const extra = rng.int(0, 3);
      if (extra === 1) s.attentionFactor = rng.uniform(0.8, 1.6);
      if (extra === 2) {
        s.mscale = rng.uniform(0.5, 1.5);
        s.mscaleAllDim = rng.uniform(0.5, 1.5);
      }
      if (rng.next() < 0.3) s.truncate = false;
      return s;
    }
    case 'longrope': {
      const orig = rng.int(256, 8192);
      const pairs = rotaryDim / 2;
      const s: RopeScaling = {
        type: 'longrope',
        shortFactor: Array.from({ length: pairs }, () => rng.uniform(1, 2)),
        longFactor: Array.from({ length: pairs }, () => rng.uniform(1, 50)),
        originalMaxPositionEmbeddings: orig,
        maxPositionEmbeddings: orig * rng.int(1, 32),
      };
      if (rng.next() < 0.3) s.attentionFactor = rng.uniform(0.8, 1.6);
      return s;
    }
    default:
      return { type: 'default' };
  }
}

function ropeCase(p: (typeof ropeArb extends fc.Arbitrary<infer T> ? T : never)): ConformanceCase {
  return defineCase('rope', 'random', describeParams(p), 'random rope', () => {
    const rng = new Rng(p.seed);
    const shape: RopeCaseInputs['shape'] = [p.batch, p.seq, p.heads, p.headDim];
    const maxPos = p.highPositions ? 2 ** 20 - 1 : 5000;
    const options: RopeCaseInputs['options'] = {
      theta: p.theta,
      rotaryDim: p.rotaryDim,
      interleaved: p.interleaved,
      inPlace: p.inPlace,
      scaling: randomScaling(p.scaling, rng, p.rotaryDim),
      positions: p.explicitPositions
        ? Int32Array.from({ length: p.batch * p.seq }, () => rng.int(0, maxPos))
        : rng.int(0, maxPos - p.seq + 1),
    };
    return { op: 'rope', shape, x: rng.array(sizeOf(shape), 2), options };
  });
}

/**
 * Shapes of random GQA cases. Most are small (up to 48 keys); two rarer classes reach the
 * kernel paths only larger work selects (backend-wasm's `src/gqa.ts` thresholds):
 * - `packed`: causal prefill of 16-48 query rows over 2-8 query heads per KV head, so each
 *   K/V float is reused by >= 32 multiply-adds (the K/V packing copy), ragged per batch;
 * - `bigDecode`: decode (one query row) over a cache whose visible K/V take >= 16 MiB and
 *   >= 2 KV heads (block-major decode order), kvLength ragged per batch.
 */
const gqaSmallArb = fc.record({
    B: fc.integer({ min: 1, max: 3 }),
    Hkv: fc.integer({ min: 1, max: 4 }),
    group: fc.integer({ min: 1, max: 8 }),
    D: fc.oneof(fc.integer({ min: 1, max: 32 }), fc.constantFrom(64, 80, 96, 128)),
    dvSame: fc.boolean(),
    Dv: fc.integer({ min: 1, max: 48 }),
    Skv: fc.integer({ min: 1, max: 48 }),
    SqMax: fc.integer({ min: 1, max: 8 }),
    causal: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
    kvLengthMode: fc.constantFrom('default', 'scalar', 'perBatch'),
    queryOffsetMode: fc.constantFrom('default', 'default', 'scalar', 'perBatch'),
    window: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    softcap: fc.option(fc.double({ min: 1, max: 60, noNaN: true }), { nil: undefined }),
    mask: fc.constantFrom('none', 'none', 'full', 'b1', '1h', '11'),
    sinks: fc.boolean(),
    scale: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
    qkScale: fc.constantFrom(1, 1, 3),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((p) => ({ ...p, size: 'small' as 'small' | 'packed' | 'bigDecode', Hq: p.Hkv * p.group, Sq: Math.min(p.SqMax, p.Skv + 2), Dv: p.dvSame ? p.D : p.Dv }));

type GqaParams = typeof gqaSmallArb extends fc.Arbitrary<infer T> ? T : never;

const gqaPackedArb = fc
  .record({
    B: fc.integer({ min: 1, max: 3 }),
    Hkv: fc.integer({ min: 1, max: 2 }),
    group: fc.integer({ min: 2, max: 8 }),
    D: fc.constantFrom(16, 64, 72, 128),
    Sq: fc.integer({ min: 16, max: 48 }),
    extraKeys: fc.integer({ min: 0, max: 200 }),
    ragged: fc.boolean(),
    softcap: fc.option(fc.double({ min: 1, max: 60, noNaN: true }), { nil: undefined }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(
    (p): GqaParams => ({
      ...p,
      size: 'packed',
      Hq: p.Hkv * p.group,
      SqMax: p.Sq,
      Skv: p.Sq + p.extraKeys,
      Dv: p.D,
      dvSame: true,
      causal: true,
      kvLengthMode: p.ragged ? 'perBatch' : 'default',
      queryOffsetMode: 'default',
      window: undefined,
      mask: 'none',
      sinks: false,
      scale: undefined,
      qkScale: 1,
    }),
  );

/** Keys per batch so that the visible K/V (ragged down to 90%) take at least 16 MiB. */
const BIG_DECODE_BYTES = 16 * 2 ** 20;

const gqaBigDecodeArb = fc
  .record({
    B: fc.integer({ min: 1, max: 2 }),
    Hkv: fc.integer({ min: 2, max: 4 }),
    group: fc.integer({ min: 1, max: 8 }),
    D: fc.constantFrom(64, 128),
    extraKeys: fc.integer({ min: 0, max: 300 }),
    ragged: fc.boolean(),
    causal: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((p): GqaParams => {
    const keys = Math.ceil(BIG_DECODE_BYTES / 0.9 / (p.B * p.Hkv * 2 * p.D * 4)) + p.extraKeys;
    return {
      ...p,
      size: 'bigDecode',
      Hq: p.Hkv * p.group,
      Sq: 1,
      SqMax: 1,
      Skv: keys,
      Dv: p.D,
      dvSame: true,
      kvLengthMode: p.ragged ? 'perBatch' : 'default',
      queryOffsetMode: 'default',
      window: undefined,
      softcap: undefined,
      mask: 'none',
      sinks: false,
      scale: undefined,
      qkScale: 1,
    };
  });

/** One in 20 random GQA cases is `packed`, one in 20 `bigDecode`. */
const gqaArb = fc.oneof({ arbitrary: gqaSmallArb, weight: 18 }, { arbitrary: gqaPackedArb, weight: 1 }, { arbitrary: gqaBigDecodeArb, weight: 1 });

function gqaCase(p: GqaParams): ConformanceCase {
  return defineCase('gqa', 'random', describeParams(p), `random gqa (${p.size})`, () => {
    const rng = new Rng(p.seed ^ 0x5bd1e995);
    const options: GqaCaseInputs['options'] = { causal: p.causal };
    // Ragged lengths of the larger classes stay large enough to keep their kernel path.
    const minLength = p.size === 'packed' ? p.Sq : p.size === 'bigDecode' ? Math.ceil(p.Skv * 0.9) : 0;
    if (p.kvLengthMode === 'scalar') options.kvLength = rng.int(minLength, p.Skv);
    if (p.kvLengthMode === 'perBatch') options.kvLength = Array.from({ length: p.B }, () => rng.int(minLength, p.Skv));
    if (p.queryOffsetMode === 'scalar') options.queryOffset = rng.int(-3, p.Skv + 3);
    if (p.queryOffsetMode === 'perBatch') options.queryOffset = Array.from({ length: p.B }, () => rng.int(-3, p.Skv + 3));
    if (p.window !== undefined && p.causal) options.window = p.window;
    if (p.softcap !== undefined) options.softcap = p.softcap;
    if (p.scale !== undefined) options.scale = p.scale;
    const extras: GqaExtras = { qkScale: p.qkScale };
    if (p.mask !== 'none') extras.mask = p.mask as GqaExtras['mask'];
    if (p.sinks) extras.sinks = (r, Hq) => r.range(Hq, -3, 3);
    return gqaInputs(`random-${p.seed}`, { B: p.B, Sq: p.Sq, Skv: p.Skv, Hq: p.Hq, Hkv: p.Hkv, D: p.D, Dv: p.Dv }, options, extras);
  });
}

const kvcacheArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  kvHeads: fc.integer({ min: 1, max: 3 }),
  group: fc.integer({ min: 1, max: 4 }),
  headDim: fc.integer({ min: 1, max: 64 }),
  headDimV: fc.integer({ min: 1, max: 40 }),
  chunks: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  spare: fc.integer({ min: 0, max: 4 }),
  window: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  softcap: fc.option(fc.double({ min: 1, max: 50, noNaN: true }), { nil: undefined }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function kvcacheCase(p: (typeof kvcacheArb extends fc.Arbitrary<infer T> ? T : never)): ConformanceCase {
  return defineCase('kvcache', 'random', describeParams(p), 'random kvcache', () => {
    const rng = new Rng(p.seed);
    const headsQ = p.kvHeads * p.group;
    const steps: KvCacheStep[] = p.chunks.map((n) => ({
      k: rng.array(p.batch * n * p.kvHeads * p.headDim),
      v: rng.array(p.batch * n * p.kvHeads * p.headDimV),
      n,
      q: rng.array(p.batch * n * headsQ * p.headDim),
      seqQ: n,
    }));
    const capacity = p.chunks.reduce((a, b) => a + b, 0) + p.spare;
    const options: { window?: number; softcap?: number } = {};
    if (p.window !== undefined) options.window = p.window;
    if (p.softcap !== undefined) options.softcap = p.softcap;
    return { op: 'kvcache', batch: p.batch, capacity, headsQ, kvHeads: p.kvHeads, headDim: p.headDim, headDimV: p.headDimV, steps, options };
  });
}

/** An arbitrary of random f32 cases of `op`. */
export function randomCaseArbitrary(op: CaseOp): fc.Arbitrary<ConformanceCase> {
  switch (op) {
    case 'rmsnorm':
      return rmsnormArb(false).map((p) => rmsnormCase(false, p));
    case 'addRmsnorm':
      return rmsnormArb(true).map((p) => rmsnormCase(true, p));
    case 'rope':
      return ropeArb.map(ropeCase);
    case 'gqa':
      return gqaArb.map(gqaCase);
    case 'kvcache':
      return kvcacheArb.map(kvcacheCase);
  }
}

/** Random-mode settings from the environment: `CONFORMANCE_RUNS`, `CONFORMANCE_SEED`, `CI`. */
export function randomSettings(env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env): { runs: number; seed: number } {
  const runsEnv = env.CONFORMANCE_RUNS;
  const seedEnv = env.CONFORMANCE_SEED;
  const runs = runsEnv !== undefined && runsEnv !== '' && Number.isInteger(Number(runsEnv)) && Number(runsEnv) >= 0 ? Number(runsEnv) : env.CI ? 200 : 50;
  const seed = seedEnv !== undefined && seedEnv !== '' && Number.isInteger(Number(seedEnv)) ? Number(seedEnv) : DEFAULT_SEED;
  return { runs, seed };
}
