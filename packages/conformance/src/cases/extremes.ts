/**
 * The extremes family (SPEC.md "Range and special values"; issue #14): values near the ends
 * of float32, where the exact scores and outputs are still representable, so every backend
 * must give them within tolerance — no intermediate step may overflow or underflow.
 *
 * - RMSNorm rows of 1e-22, 1e-30 and near the smallest normal with eps 0 (squares underflow
 *   float32), rows near float32's max (squares overflow it), and eps 0 on an all-zero row,
 *   which is NaN (0 / 0) on every backend; addRmsnorm alike.
 * - GQA scores of 4e36 and 2.56e38 (q = k = 1e18 and 8e18, d 16), varied huge scores, a mask
 *   of 3e38 on one key, `finfo(float32).min` masks (every visible key masked: zeros), softcaps
 *   tiny (1e-40, 1e-20: every cap > 0 applies) and huge (1e5, 1e6, 1e8) on scores far past
 *   the cap, `v` of 3e38 and near float32's max (prefill and decode), `sinks = [+Inf]`.
 * - Subnormal inputs (|x| < 2^-126): backends may flush them to zero and the reference reads
 *   them as zero. The cases are built so that a backend that does not flush passes too: every
 *   row that holds subnormals either holds normal values as well or has eps > 0, so the
 *   subnormals' contribution is far below the tolerance either way (never eps 0 on a row of
 *   subnormals only, which is NaN when flushed and finite when not).
 * - f16 variants only where the values fit f16 (max 65504): rows and values near f16's own
 *   max and min normal, the finfo.min mask, `sinks = [+Inf]`.
 *
 * Scores past float32 (e.g. q = k = 1e20) have unspecified results and are not here.
 */
import { Rng, sizeOf } from './data.js';
import { defineCase, withF16Variants } from './define.js';
import { gqaInputs, type GqaDims, type GqaExtras } from './gqa.js';
import type { AddRmsnormCaseInputs, ConformanceCase, GqaCaseInputs, KvCacheCaseInputs, KvCacheStep, RmsnormCaseInputs } from './types.js';

/** torch.finfo(torch.float32).min, as PyTorch and HF fill attention masks. */
export const FINFO_F32_MIN = -3.4028234663852886e38;

const GROUP = 'extremes';

/** `count` rows of `hidden` values built by `value(r, i)`. */
function rows(count: number, hidden: number, value: (r: number, i: number) => number): Float32Array {
  const out = new Float32Array(count * hidden);
  for (let r = 0; r < count; r++) for (let i = 0; i < hidden; i++) out[r * hidden + i] = value(r, i);
  return out;
}

/** A random sign. */
const sign = (rng: Rng) => (rng.next() < 0.5 ? -1 : 1);

/** A subnormal float32 of random sign and magnitude in [1e-45, 1e-38). */
const subnormal = (rng: Rng) => sign(rng) * 10 ** rng.uniform(-45, -38);

type RowsOf = (rng: Rng, r: number, i: number) => number;

/** `rmsnorm` of `[count, hidden]` rows built by `x`; weights uniform in [0.5, 1.5) unless given. */
const rms = (detail: string, description: string, count: number, hidden: number, x: RowsOf, options: RmsnormCaseInputs['options'], weight?: (rng: Rng, i: number) => number) =>
  defineCase('rmsnorm', GROUP, detail, description, (): RmsnormCaseInputs => {
    const rng = new Rng(`rmsnorm/${GROUP}/${detail}`);
    const data = rows(count, hidden, (r, i) => x(rng, r, i));
    const w = weight ? Float32Array.from({ length: hidden }, (_, i) => weight(rng, i)) : rng.range(hidden, 0.5, 1.5);
    return { op: 'rmsnorm', shape: [count, hidden], x: data, weight: w, options };
  });

/** `addRmsnorm` of `[count, hidden]` rows: x and residual built by `x` and `residual`. */
const addRms = (detail: string, description: string, count: number, hidden: number, x: RowsOf, residual: (rng: Rng, r: number, i: number, x: number) => number, options: AddRmsnormCaseInputs['options']) =>
  defineCase('addRmsnorm', GROUP, detail, description, (): AddRmsnormCaseInputs => {
    const rng = new Rng(`addRmsnorm/${GROUP}/${detail}`);
    const xs = rows(count, hidden, (r, i) => x(rng, r, i));
    const rs = rows(count, hidden, (r, i) => residual(rng, r, i, xs[r * hidden + i]));
    return { op: 'addRmsnorm', shape: [count, hidden], x: xs, residual: rs, weight: rng.range(hidden, 0.5, 1.5), options };
  });

const gqa = (detail: string, description: string, dims: GqaDims, options: GqaCaseInputs['options'] = {}, extras: GqaExtras = {}) =>
  defineCase('gqa', GROUP, detail, description, () => gqaInputs(`gqa/${GROUP}/${detail}`, dims, options, extras));

/** Values of magnitude uniform in [lo, hi) whose sign is fixed per dim `t` (so sums over keys add up, never cancel). */
const sameSignPerDim = (rng: Rng, n: number, dv: number, lo: number, hi: number) => {
  const signs = Array.from({ length: dv }, () => sign(rng));
  return Float32Array.from({ length: n }, (_, i) => signs[i % dv] * rng.uniform(lo, hi));
};

/**
 * Softcap `cap` on scores of ±20..40 caps (d 16, default scale 1/4): q rows are ±a, key j's
 * elements are ±c (1 + u) with a c = 5 cap. Every positive score saturates to exactly `cap`
 * (tanh(20) = 1 in float32 and float64), so each row averages the values of its positive
 * keys; without the cap the row would be one-hot on its largest score.
 */
const saturatedSoftcap = (cap: number) => {
  const dims = { B: 1, Sq: 3, Skv: 8, Hq: 2, Hkv: 1, D: 16 };
  const a = Math.sqrt(5 * cap);
  return gqa(`softcap-${cap.toExponential().replace('+', '')}-saturated`, `softcap ${cap} on scores of ±(20..40) x the cap: the positive scores all cap to exactly ${cap}, so each row is the mean of the values of its positive keys (one-hot without the cap)`, dims, { softcap: cap, causal: false }, {
    edit: ({ q, k }, rng) => {
      for (let r = 0; r < dims.Sq * dims.Hq; r++) q.fill(a * (r % 3 === 1 ? -1 : 1), r * 16, (r + 1) * 16);
      for (let j = 0; j < dims.Skv; j++) {
        const s = j % 3 === 0 ? -1 : 1;
        for (let t = 0; t < 16; t++) k[j * 16 + t] = s * a * (1 + rng.next());
      }
    },
  });
};

function buildNorm(): ConformanceCase[] {
  const c: ConformanceCase[] = [];
  c.push(
    rms('tiny-1e-22-eps0', 'eps 0, hidden 4096: a row of 1e-22 (y = w exactly) and a row of ±1e-22 · u: squares of 1e-44 underflow float32 unless scaled', 2, 4096, (rng, r) =>
      r === 0 ? 1e-22 : rng.uniform(-1, 1) * 1e-22, { eps: 0 }),
  );
  c.push(
    rms('tiny-1e-30-eps0', 'eps 0, hidden 1000: a row of 1e-30 (y = w) and a row of ±1e-30 · u', 2, 1000, (rng, r) => (r === 0 ? 1e-30 : rng.uniform(-1, 1) * 1e-30), { eps: 0 }),
  );
  c.push(
    rms('min-normal-eps0', 'eps 0 on rows at the smallest normal floats (1.2e-38..3e-38, none subnormal): a constant row, mixed signs, one non-zero element (y = 8 w there)', 3, 64, (rng, r, i) =>
      r === 0 ? 2e-38 : r === 1 ? sign(rng) * rng.uniform(1.2e-38, 3e-38) : i === 5 ? 2e-38 : 0, { eps: 0 }),
  );
  c.push(
    rms('eps0-zero-row', 'eps 0: an all-zero row is NaN (0 / 0) on every backend; the rows around it are finite', 3, 64, (rng, r) => (r === 1 ? 0 : rng.uniform(-2, 2)), { eps: 0 }),
  );
  c.push(
    rms('near-max', 'rows near float32 max: 3e38 (y = w), ±3.4e38 alternating, one 3.4e38 among O(1) values (y ~ 8 w there), uniform ±3.4e38: squares overflow float32 unless scaled', 4, 64, (rng, r, i) =>
      r === 0 ? 3e38 : r === 1 ? (i % 2 ? -3.4e38 : 3.4e38) : r === 2 ? (i === 9 ? 3.4e38 : rng.uniform(-1, 1)) : rng.uniform(-3.4e38, 3.4e38), {}),
  );
  c.push(
    rms('near-max-d4096', 'hidden 4096, |x| uniform in 1e37..3.4e38 with random signs', 2, 4096, (rng) => sign(rng) * rng.uniform(1e37, 3.4e38), {}),
  );
  c.push(
    rms('subnormal', 'subnormal x (read as zero; a backend may flush them) with eps 1e-6: a row of subnormals only (zeros), subnormals among O(1) values, among 1e-30 values; one subnormal weight', 3, 64, (rng, r, i) =>
      r === 0 ? subnormal(rng) : i % 4 === 1 ? subnormal(rng) : rng.uniform(-2, 2) * (r === 2 ? 1e-30 : 1), { eps: 1e-6 }, (rng, i) => (i === 3 ? 1e-40 : rng.uniform(0.5, 1.5))),
  );
  c.push(
    rms('f16-range', 'eps 0 on f16-sized extremes (f16 variant too): ±3e4..6.5e4 (squares overflow f16), ±1e-4..2e-4 (squares underflow f16), one 6e4 among zeros (y = 8 w)', 3, 64, (rng, r, i) =>
      r === 0 ? sign(rng) * rng.uniform(3e4, 6.5e4) : r === 1 ? sign(rng) * rng.uniform(1e-4, 2e-4) : i === 17 ? 6e4 : 0, { eps: 0 }),
  );

  c.push(
    addRms('near-max', 'sum = x + residual near float32 max: 1.5e38 + 1.5e38 = 3e38 (y = w), then x, residual uniform ±1.6e38', 2, 64, (rng, r) => (r === 0 ? 1.5e38 : rng.uniform(-1.6e38, 1.6e38)), (rng, r) =>
      r === 0 ? 1.5e38 : rng.uniform(-1.6e38, 1.6e38), {}),
  );
  c.push(addRms('tiny-eps0', 'eps 0 with x, residual ~ ±1e-22: sums of 1e-22 whose squares underflow float32', 2, 64, (rng) => rng.uniform(-1, 1) * 1e-22, (rng) => rng.uniform(-1, 1) * 1e-22, { eps: 0 }));
  c.push(
    addRms('eps0-zero-sum', 'eps 0: residual = -x on row 1, so the sum row is all zeros and y is NaN (0 / 0) there; rows 0 and 2 finite', 3, 64, (rng) => rng.uniform(-2, 2), (rng, r, _i, x) =>
      r === 1 ? -x : rng.uniform(-2, 2), { eps: 0 }),
  );
  c.push(
    addRms('subnormal', 'subnormal x and residual (read as zero) with eps 1e-6: row 0 of subnormals only, row 1 with O(1) residuals', 2, 64, (rng) => subnormal(rng), (rng, r) =>
      r === 0 ? subnormal(rng) : rng.uniform(-2, 2), { eps: 1e-6 }),
  );
  return c;
}

function buildGqa(): ConformanceCase[] {
  const c: ConformanceCase[] = [];
  const big = { B: 1, Sq: 3, Skv: 6, Hq: 4, Hkv: 2, D: 16 };
  const fillQK = (value: number) => ({ q, k }: { q: Float32Array; k: Float32Array }) => {
    q.fill(value);
    k.fill(value);
  };
  c.push(gqa('qk-1e18', 'q = k = 1e18, d 16: every score is 4e36 (representable): each row is the mean of its visible values', big, {}, { edit: fillQK(1e18) }));
  c.push(gqa('qk-8e18', 'q = k = 8e18, d 16: scores of 2.56e38, representable (though not times log2 e): the mean of the visible values', big, {}, { edit: fillQK(8e18) }));
  c.push(gqa('qk-1e18-varied', 'q, k = 1e18 · u(-1, 1), d 16: scores up to 4e36 and ~1e35 apart, so the top key takes all the weight', big, {}, { qkScale: 1e18 }));

  c.push(
    gqa('mask-3e38', 'an additive mask of 3e38 on one key per row (non-causal): that key takes all the weight, not NaN', { B: 1, Sq: 2, Skv: 5, Hq: 2, Hkv: 1, D: 8 }, { causal: false }, {
      mask: (rng, shape) => {
        const m = rng.array(sizeOf(shape), 2);
        m[2] = 3e38; // query 0, key 2
        m[5 + 4] = 3e38; // query 1, key 4
        return m;
      },
      maskShape: [1, 1, 2, 5],
    }),
  );
  c.push(
    gqa('mask-finfo-min-all', 'decode, batch 2 (kvLength [6, 8]): every key masked with finfo(float32).min, which counts as masked (<= -1e30): zeros', { B: 2, Sq: 1, Skv: 8, Hq: 4, Hkv: 2, D: 16 }, { kvLength: [6, 8] }, {
      mask: (_rng, shape) => new Float32Array(sizeOf(shape)).fill(FINFO_F32_MIN),
      maskShape: [2, 1, 1, 8],
    }),
  );
  c.push(
    gqa('mask-finfo-min-partial', 'non-causal rows masked with finfo.min: row 0 entirely (zeros), row 1 on keys 0, 2, 4, row 2 at exactly -1e30 on key 3, row 3 on all but key 0 (its value alone)', { B: 1, Sq: 4, Skv: 6, Hq: 2, Hkv: 1, D: 16 }, { causal: false }, {
      mask: (rng, shape) => {
        const m = rng.array(sizeOf(shape), 1);
        m.fill(FINFO_F32_MIN, 0, 6);
        for (const j of [0, 2, 4]) m[6 + j] = FINFO_F32_MIN;
        m[12 + 3] = -1e30;
        m.fill(FINFO_F32_MIN, 18 + 1, 24);
        return m;
      },
      maskShape: [1, 1, 4, 6],
    }),
  );

  const flat = { B: 1, Sq: 4, Skv: 9, Hq: 2, Hkv: 1, D: 8 };
  for (const cap of [1e-40, 1e-20]) {
    c.push(gqa(`softcap-${cap.toExponential()}`, `softcap ${cap} applies (any cap > 0 does): scores flatten to ±${cap}, so each row is the mean of its visible values`, flat, { softcap: cap }, { qkScale: 3 }));
  }
  for (const cap of [1e5, 1e6, 1e8]) c.push(saturatedSoftcap(cap));
  c.push(
    gqa('softcap-1e8-small-scores', 'softcap 1e8 on scores of |s| <= ~16: tanh of arguments ~1e-7 must keep their digits (the capped scores are the scores)', { B: 1, Sq: 4, Skv: 12, Hq: 4, Hkv: 2, D: 16 }, { softcap: 1e8 }, { qkScale: 4 }),
  );

  const allV = (value: number) => ({ v }: { v: Float32Array }) => {
    v.fill(value);
  };
  c.push(gqa('v-3e38-prefill', 'every v = 3e38, equal scores (q = 0), causal prefill of 4 over 40 keys: the output is 3e38, not Infinity', { B: 1, Sq: 4, Skv: 40, Hq: 8, Hkv: 2, D: 8 }, {}, { qkScale: 0, edit: allV(3e38) }));
  c.push(gqa('v-3e38-decode', 'every v = 3e38, decode (seqQ 1) over 300 keys, d 64, random scores: the output is 3e38, not Infinity', { B: 1, Sq: 1, Skv: 300, Hq: 8, Hkv: 2, D: 64 }, {}, { edit: allV(3e38) }));
  c.push(
    gqa('v-near-max', '|v| uniform in 2.5e38..3.4e38 with one sign per dim (the weighted sums never cancel): outputs near float32 max, no overflow before the division', { B: 1, Sq: 3, Skv: 12, Hq: 4, Hkv: 2, D: 16 }, {}, {
      qkScale: 2,
      edit: ({ v }, rng) => v.set(sameSignPerDim(rng, v.length, 16, 2.5e38, 3.4e38)),
    }),
  );
  c.push(
    gqa('v-near-f16-max', '|v| uniform in 5e4..6.5e4 with one sign per dim (f16 variant too: sums past f16 max before the division)', { B: 1, Sq: 3, Skv: 8, Hq: 4, Hkv: 2, D: 16 }, {}, {
      edit: ({ v }, rng) => v.set(sameSignPerDim(rng, v.length, 16, 5e4, 6.5e4)),
    }),
  );

  c.push(gqa('sinks-inf', 'sinks = [+Inf, 0.5]: head 0 puts all its weight on the sink, which has no value (zeros); head 1 as usual', { B: 1, Sq: 3, Skv: 5, Hq: 2, Hkv: 1, D: 8 }, {}, { sinks: () => Float32Array.of(Infinity, 0.5) }));

  c.push(
    gqa('subnormal', 'subnormal q, k, v, mask and sink values (read as zero; a backend may flush them) among normal ones: their contributions are far below the tolerance either way', { B: 1, Sq: 3, Skv: 6, Hq: 2, Hkv: 1, D: 16 }, {}, {
      edit: ({ q, k, v }, rng) => {
        for (const t of [q, k, v]) for (let i = 0; i < t.length; i += 3) t[i] = subnormal(rng);
        v.fill(1e-39, 16, 32); // key 1's value: subnormal only
      },
      mask: (rng, shape) => Float32Array.from({ length: sizeOf(shape) }, (_, i) => (i % 2 ? subnormal(rng) : rng.uniform(-1, 1))),
      maskShape: [1, 1, 3, 6],
      sinks: () => Float32Array.of(1e-39, -1e-45),
    }),
  );
  return c;
}

/** KV cache of `v` near float32 max, prefill 6 then 2 decode steps (sums over keys past max before the division). */
function kvNearMax(): ConformanceCase {
  const detail = 'v-near-max';
  return defineCase('kvcache', GROUP, detail, 'KV cache whose |v| is uniform in 2.5e38..3.4e38 with one sign per dim: prefill 6, decode 2, outputs near float32 max', (): KvCacheCaseInputs => {
    const rng = new Rng(`kvcache/${GROUP}/${detail}`);
    const [batch, headsQ, kvHeads, headDim] = [1, 4, 2, 16];
    const signs = Array.from({ length: headDim }, () => sign(rng));
    const steps: KvCacheStep[] = [6, 1, 1].map((n) => ({
      k: rng.array(batch * n * kvHeads * headDim, 2),
      v: Float32Array.from({ length: batch * n * kvHeads * headDim }, (_, i) => signs[i % headDim] * rng.uniform(2.5e38, 3.4e38)),
      n,
      q: rng.array(batch * n * headsQ * headDim, 2),
      seqQ: n,
    }));
    return { op: 'kvcache', batch, capacity: 12, headsQ, kvHeads, headDim, headDimV: headDim, steps, options: {} };
  });
}

function build(): ConformanceCase[] {
  return withF16Variants(
    [...buildNorm(), ...buildGqa(), kvNearMax()],
    ['rmsnorm/extremes/f16-range', 'gqa/extremes/v-near-f16-max', 'gqa/extremes/mask-finfo-min-partial', 'gqa/extremes/sinks-inf'],
  );
}

/** Every case of the extremes family (group `extremes` of rmsnorm, addRmsnorm, gqa and kvcache). */
export const extremesCases: readonly ConformanceCase[] = build();
