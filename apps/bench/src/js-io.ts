/**
 * The "JS in, JS out" sessions of our backends (rows with `io: 'js'`): each timed call is
 * what an engine around llama-ops pays per op, measured through the public API only. The
 * inputs arrive in the caller's `Float32Array`s and are uploaded into tensors made once
 * (`t.view().set(data)` where the backend has host memory, `t.write(data)` otherwise); the op
 * writes into an output tensor made once (`out`); the result is read into an array the
 * caller keeps (`read(into)`). Nothing is allocated per call.
 *
 * The decode step is one token of an attention layer over a resident cache: the caller's
 * projection output is one packed array `[q | k | v]`; q and k go up as one tensor, RoPE
 * rotates q (into its own tensor) and k straight into the cache's next slot (`out` = a view
 * of the cache), and v is uploaded straight into its slot (core has no copy op outside
 * `KVCache.append`, and a benchmark must keep the cache at the same length every call);
 * then GQA over the cache into `out`, read back into the caller's array.
 */
import type { Backend, Tensor } from '@llama-ops/core';
import type { RowSession } from './contender.js';
import type { BenchRow, RowInputs } from './rows.js';

type Core = typeof import('@llama-ops/core');

/** Upload `data` into `t` with the fewest copies the backend allows. */
function uploader(t: Tensor): (data: Float32Array) => void {
  let hostMemory = true;
  try {
    t.view();
  } catch {
    hostMemory = false;
  }
  // The view is taken anew each call: any allocation may grow (and move) wasm memory.
  return hostMemory ? (data) => t.view().set(data) : (data) => t.write(data);
}

/** A session of a JS-in, JS-out row on `backend`. */
export function jsIoSession(core: Core, backend: Backend, row: BenchRow, inputs: RowInputs): RowSession {
  const p = row.params;
  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const release = () => {
    for (const t of owned) t.dispose();
  };
  let step: () => Promise<Float32Array>;

  if (p.kind === 'rmsnorm' && inputs.kind === 'rmsnorm' && !inputs.residual) {
    const x = own(backend.empty([p.rows, p.hidden]));
    const weight = own(backend.tensor(inputs.weight, [p.hidden]));
    const y = own(backend.empty([p.rows, p.hidden]));
    const upload = uploader(x);
    const into = new Float32Array(y.size);
    step = async () => {
      upload(inputs.x);
      core.rmsnorm(x, weight, { eps: p.eps, out: y });
      return y.read(into);
    };
  } else if (p.kind === 'rope' && inputs.kind === 'rope') {
    const x = own(backend.empty([p.batch, p.seq, p.heads, p.headDim]));
    const upload = uploader(x);
    const into = new Float32Array(x.size);
    // In place: the input is uploaded anew each call, as an engine's projection writes it.
    step = async () => {
      upload(inputs.x);
      core.rope(x, { positions: p.start, theta: p.theta, out: x });
      return x.read(into);
    };
  } else if (p.kind === 'gqa' && inputs.kind === 'gqa' && p.rotary && p.batch === 1 && p.seqQ === 1) {
    const { seqKV, headsQ, headsKV, headDim } = p;
    const length = p.kvLength[0];
    const position = length - 1;
    const qSize = headsQ * headDim;
    const kvRow = headsKV * headDim;
    // The caller's projection output [q | k | v] of the new token (its k and v are the
    // cache's last entries, before rotation).
    const packed = new Float32Array(qSize + 2 * kvRow);
    packed.set(inputs.q);
    packed.set(inputs.k.subarray(position * kvRow, length * kvRow), qSize);
    packed.set(inputs.v.subarray(position * kvRow, length * kvRow), qSize + kvRow);
    const packedQK = packed.subarray(0, qSize + kvRow);
    const packedV = packed.subarray(qSize + kvRow);

    const cacheK = own(backend.tensor(inputs.k, [1, seqKV, headsKV, headDim]));
    const cacheV = own(backend.tensor(inputs.v, [1, seqKV, headsKV, headDim]));
    const qk = own(backend.empty([1, 1, headsQ + headsKV, headDim]));
    const rowStride = (headsQ + headsKV) * headDim;
    const q = backend.view(qk, { shape: [1, 1, headsQ, headDim], rowStride });
    const k = backend.view(qk, { shape: [1, 1, headsKV, headDim], offset: qSize, rowStride });
    const kSlot = backend.view(cacheK, { shape: [1, 1, headsKV, headDim], offset: position * kvRow });
    const vSlot = backend.view(cacheV, { shape: [1, 1, headsKV, headDim], offset: position * kvRow });
    const qRotated = own(backend.empty([1, 1, headsQ, headDim]));
    const o = own(backend.empty([1, 1, headsQ, headDim]));
    const uploadQK = uploader(qk);
    const uploadV = uploader(vSlot);
    const into = new Float32Array(o.size);
    const ropeOptions = { positions: position, theta: p.rotary.theta };
    step = async () => {
      uploadQK(packedQK);
      uploadV(packedV);
      core.rope(q, { ...ropeOptions, out: qRotated });
      core.rope(k, { ...ropeOptions, out: kSlot });
      core.gqa(qRotated, cacheK, cacheV, { kvLength: length, out: o });
      return o.read(into);
    };
  } else {
    release();
    throw new Error(`row ${row.id}: no JS-in, JS-out session for this row (rmsnorm without residual, rope, or a batch-1 decode step)`);
  }

  return {
    call: async () => {
      await step();
    },
    // A copy: the session's array is overwritten by the next call.
    outputs: async () => [(await step()).slice()],
    release,
  };
}
