/**
 * A tiny, plainly written JS backend used ONLY to test the kit itself: it must pass the whole
 * suite, and each injected `bug` must make the kit fail with a useful message.
 * Storage is a Float32Array (f16 tensors are rounded to half precision on every store).
 */
import {
  defineBackend,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  type Backend,
  type DType,
  type GqaKernelParams,
  type KernelBackend,
  type RmsnormKernelParams,
  type RopeKernelParams,
} from '@llama-ops/core';

/** Subtle mistakes a real backend could make. */
export type Bug =
  | 'rope-pairing-swapped' // uses (2i, 2i+1) when asked for (i, i + d/2) and vice versa
  | 'rope-ignores-partial' // rotates all of headDim instead of rotaryDim
  | 'rope-writes-input' // writes the result into x even without inPlace
  | 'softmax-without-sinks' // drops the sinks from the denominator
  | 'window-off-by-one' // p - window <= j instead of <
  | 'softcap-after-mask' // fine for -Inf masks, wrong for additive masks: adds mask before softcapping
  | 'reads-past-kvLength' // multiplies garbage keys by a zero weight: 0 * NaN leaks
  | 'empty-row-nan' // a row with no visible key yields NaN (0 / 0)
  | 'rmsnorm-f32-sum' // accumulates squares in float32 without scaling: overflows for |x| ~ 1e18
  | 'rmsnorm-eps-outside' // 1 / (sqrt(mean) + eps)
  | 'rmsnorm-zero-row-zeros' // guards 0 / 0: an all-zero row gives zeros even with eps 0 (SPEC says NaN)
  | 'gqa-throws' // the kernel throws
  // Bugs that other parameters can hide (kit.test.ts names the cases that catch each):
  | 'kvLength-max' // uses the largest kvLength for every batch
  | 'kvLength-first' // uses batch 0's kvLength for every batch
  | 'queryOffset-first' // uses batch 0's queryOffset for every batch
  | 'queryOffset-ignored' // places the queries at the end of the cache (kvLength - seqQ) whatever queryOffset says
  | 'decode-not-causal' // a seqQ = 1 fast path that assumes the query sits at the end of the cache: no causal test
  | 'window-at-cache-end' // anchors the window at the last valid key instead of the query's position
  | 'sinks-by-kv-head' // reads sinks[h / group] (one per KV head) instead of sinks[h]
  | 'sinks-first-head' // uses sinks[0] for every head
  | 'mask-batch-0' // reads the mask's batch 0 for every batch
  | 'mask-head-0' // reads the mask's head 0 for every head
  | 'mask-by-kv-head' // indexes the mask's head dim with the KV head
  | 'mask-row-stride-kvLength' // strides mask rows by kvLength[b] instead of seqKV
  | 'decode-mask-broadcast' // a seqQ = 1 fast path that reads every mask as [1, 1, 1, seqKV]
  // SPEC.md "Range and special values" (the extremes family):
  | 'mask-min-as-value' // adds finfo.min-like mask values as numbers instead of masking (a fully masked row averages its values)
  | 'sink-inf-nan' // a +Inf sink becomes exp(Inf - Inf) = NaN instead of zeros
  | 'rope-positions-transposed' // with explicit positions, reads token (b, s) from row s * batch + b
  | 'rope-positions-batch-0'; // with explicit positions, uses batch 0's positions for every batch

interface Store {
  data: Float32Array;
  dtype: DType;
}

const toHalf = (x: number) => float16BitsToFloat32(float32ToFloat16Bits(x));

/** Options of {@link createJsBackend}. */
export interface JsBackendOptions {
  bug?: Bug;
  dtypes?: DType[];
  /**
   * Read subnormal inputs as zero in rmsnorm and gqa, as a GPU may (SPEC allows it; storage
   * keeps them). Not a bug: the kit must pass a backend that flushes and one that does not.
   */
  flushSubnormals?: boolean;
}

/** A store whose subnormal values read as zero (a copy; null stays null). */
function flushed<S extends Store | null>(s: S): S {
  if (s === null) return s;
  return { ...s, data: s.data.map((x) => (Math.abs(x) < 1.1754943508222875e-38 ? 0 : x)) };
}

export function createJsBackend(options: JsBackendOptions = {}): Backend {
  const bug = options.bug;
  const put = (s: Store, i: number, x: number) => {
    s.data[i] = s.dtype === 'f16' ? toHalf(x) : x;
  };

  function rmsnorm(p: RmsnormKernelParams<Store>): void {
    const { rows, hidden } = p;
    for (let r = 0; r < rows; r++) {
      const o = r * hidden;
      const h = new Float64Array(hidden);
      for (let i = 0; i < hidden; i++) h[i] = p.x.data[o + i] + (p.residual ? p.residual.data[o + i] : 0);
      if (p.sum) for (let i = 0; i < hidden; i++) put(p.sum, o + i, h[i]);
      let ss = 0;
      if (bug === 'rmsnorm-f32-sum') {
        for (let i = 0; i < hidden; i++) ss = Math.fround(ss + Math.fround(h[i] * h[i]));
      } else {
        for (let i = 0; i < hidden; i++) ss += h[i] * h[i];
      }
      const inv = bug === 'rmsnorm-eps-outside' ? 1 / (Math.sqrt(ss / hidden) + p.eps) : 1 / Math.sqrt(ss / hidden + p.eps);
      const guarded = bug === 'rmsnorm-zero-row-zeros' && ss / hidden + p.eps === 0 ? 0 : inv;
      for (let i = 0; i < hidden; i++) put(p.out, o + i, h[i] * guarded * (p.weight.data[i] + p.weightOffset));
    }
  }

  function rope(p: RopeKernelParams<Store>): void {
    const { batch, seq, heads, headDim, table } = p;
    const rotaryDim = bug === 'rope-ignores-partial' ? headDim - (headDim % 2) : p.rotaryDim;
    const half = rotaryDim / 2;
    const interleaved = bug === 'rope-pairing-swapped' ? !p.interleaved : p.interleaved;
    const src = p.x.data.slice();
    const out = bug === 'rope-writes-input' ? p.x : p.out;
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < seq; s++) {
        const row = !table.perToken ? s : bug === 'rope-positions-batch-0' ? s : bug === 'rope-positions-transposed' ? s * batch + b : b * seq + s;
        for (let h = 0; h < heads; h++) {
          const o = ((b * seq + s) * heads + h) * headDim;
          for (let i = 0; i < headDim; i++) put(out, o + i, src[o + i]);
          for (let i = 0; i < half; i++) {
            // the table has rotaryDim/2 pairs; with the partial bug, reuse the last pair's angle
            const t = row * table.pairs + Math.min(i, table.pairs - 1);
            const c = table.cos[t];
            const sn = table.sin[t];
            const ia = interleaved ? o + 2 * i : o + i;
            const ib = interleaved ? o + 2 * i + 1 : o + i + half;
            const a = src[ia];
            const bb = src[ib];
            put(out, ia, a * c - bb * sn);
            put(out, ib, bb * c + a * sn);
          }
        }
      }
    }
    if (bug === 'rope-writes-input' && p.out !== p.x) p.out.data.set(p.x.data);
  }

  function gqa(p: GqaKernelParams<Store>): void {
    if (bug === 'gqa-throws') throw new Error('simulated kernel failure');
    const { batch: B, seqQ: Sq, seqKV: Skv, headsQ: Hq, headsKV: Hkv, headDim: D, headDimV: Dv } = p;
    const group = Hq / Hkv;
    const maxLength = Math.max(...p.kvLength);
    for (let b = 0; b < B; b++) {
      const len = bug === 'kvLength-max' ? maxLength : bug === 'kvLength-first' ? p.kvLength[0] : p.kvLength[b];
      const readTo = bug === 'reads-past-kvLength' ? Skv : len;
      const offset =
        bug === 'queryOffset-first' ? p.queryOffset[0] : bug === 'queryOffset-ignored' ? p.kvLength[b] - Sq : p.queryOffset[b];
      const causal = p.causal && !(bug === 'decode-not-causal' && Sq === 1);
      for (let i = 0; i < Sq; i++) {
        const pos = offset + i;
        const windowEnd = bug === 'window-at-cache-end' ? p.kvLength[b] - Sq + i : pos;
        for (let h = 0; h < Hq; h++) {
          const kvh = Math.floor(h / group);
          const decodeBroadcast = bug === 'decode-mask-broadcast' && Sq === 1;
          const mb = p.maskBatch === 1 || bug === 'mask-batch-0' || decodeBroadcast ? 0 : b;
          const mh = p.maskHeads === 1 || bug === 'mask-head-0' || decodeBroadcast ? 0 : bug === 'mask-by-kv-head' ? kvh : h;
          const maskRow = bug === 'mask-row-stride-kvLength' ? len : Skv;
          const qo = ((b * Sq + i) * Hq + h) * D;
          const scores = new Float64Array(readTo).fill(-Infinity);
          let m = -Infinity;
          for (let j = 0; j < readTo; j++) {
            const vis =
              j < len &&
              (!causal || j <= pos) &&
              (p.window === 0 || (bug === 'window-off-by-one' ? j >= windowEnd - p.window : j > windowEnd - p.window));
            if (!vis && bug !== 'reads-past-kvLength') continue;
            const ko = ((b * Skv + j) * Hkv + kvh) * D;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += p.q.data[qo + d] * p.k.data[ko + d];
            let s = p.scale * dot;
            const mo = p.mask ? ((mb * p.maskHeads + mh) * Sq + i) * maskRow + j : -1;
            // SPEC: mask values <= -1e30 count as masked (-Inf).
            const mv = p.mask ? (p.mask.data[mo] <= -1e30 && bug !== 'mask-min-as-value' ? -Infinity : p.mask.data[mo]) : 0;
            if (bug === 'softcap-after-mask') {
              s += mv;
              if (p.softcap > 0) s = p.softcap * Math.tanh(s / p.softcap);
            } else {
              if (p.softcap > 0) s = p.softcap * Math.tanh(s / p.softcap);
              s += mv;
            }
            if (!vis) s = -Infinity;
            scores[j] = s;
            if (s > m || Number.isNaN(s)) m = Number.isNaN(m) ? m : s;
          }
          const oo = ((b * Sq + i) * Hq + h) * Dv;
          const acc = new Float64Array(Dv);
          const sinkHead = bug === 'sinks-by-kv-head' ? kvh : bug === 'sinks-first-head' ? 0 : h;
          const sink = p.sinks && bug !== 'softmax-without-sinks' ? p.sinks.data[sinkHead] : -Infinity;
          // A row with no visible key, or whose sink is +Inf (all weight on the sink, which has no value): zeros.
          if ((m === -Infinity && bug !== 'empty-row-nan') || (sink === Infinity && bug !== 'sink-inf-nan' && !Number.isNaN(m))) {
            for (let d = 0; d < Dv; d++) put(p.out, oo + d, 0);
            continue;
          }
          if (sink > m) m = sink;
          let denom = Math.exp(sink - m);
          for (let j = 0; j < readTo; j++) {
            const w = Math.exp(scores[j] - m);
            denom += w;
            const vo = ((b * Skv + j) * Hkv + kvh) * Dv;
            if (w === 0 && bug !== 'reads-past-kvLength') continue;
            for (let d = 0; d < Dv; d++) acc[d] += w * p.v.data[vo + d];
          }
          for (let d = 0; d < Dv; d++) put(p.out, oo + d, acc[d] / denom);
        }
      }
    }
  }

  const kernels: KernelBackend<Store> = {
    name: bug ? `js(${bug})` : 'js',
    capabilities: { dtypes: options.dtypes ?? ['f32', 'f16'] },
    upload: (data, dtype) => ({ data: dtype === 'f16' ? data.map(toHalf) : data.slice(), dtype }),
    allocate: (size, dtype) => ({ data: new Float32Array(size), dtype }),
    read: async (s, size) => s.data.slice(0, size),
    free: () => {},
    copy: (p) => p.dst.data.set(p.src.data.subarray(p.srcOffset, p.srcOffset + p.count), p.dstOffset),
    rmsnorm: options.flushSubnormals ? (p) => rmsnorm({ ...p, x: flushed(p.x), residual: flushed(p.residual), weight: flushed(p.weight) }) : rmsnorm,
    rope,
    gqa: options.flushSubnormals
      ? (p) => gqa({ ...p, q: flushed(p.q), k: flushed(p.k), v: flushed(p.v), mask: flushed(p.mask), sinks: flushed(p.sinks) })
      : gqa,
  };
  return defineBackend(kernels);
}
