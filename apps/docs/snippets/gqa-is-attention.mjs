// GQA: multi-head attention whose K/V heads are shared by query groups.
import { gqa } from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-cpu';

const be = await createBackend();
const [seq, Hq, Hkv, d] = [6, 8, 2, 16];
const group = Hq / Hkv; // 4 query heads per K/V head
const fill = (n, seed) =>
  Float32Array.from({ length: n }, (_, i) => 1.5 * Math.sin(seed * 7.3 + i * 0.9));
const q = fill(seq * Hq * d, 1);
const k = fill(seq * Hkv * d, 2);
const v = fill(seq * Hkv * d, 3);

// repeat_kv: copy K/V head floor(h / group) to query head h
const repeat = (t) => {
  const out = new Float32Array(seq * Hq * d);
  for (let s = 0; s < seq; s++)
    for (let h = 0; h < Hq; h++) {
      const src = (s * Hkv + Math.floor(h / group)) * d;
      out.set(t.subarray(src, src + d), (s * Hq + h) * d);
    }
  return out;
};
const T = (data, heads) => be.tensor(data, [1, seq, heads, d]);

const grouped = await gqa(T(q, Hq), T(k, Hkv), T(v, Hkv)).read();
const mha = await gqa(T(q, Hq), T(repeat(k), Hq), T(repeat(v), Hq)).read();
const gap = Math.max(...grouped.map((x, i) => Math.abs(x - mha[i])));
console.log(`max |GQA - MHA with repeated K/V| = ${gap}`);
console.log(`K/V values per token: GQA ${2 * Hkv * d}, MHA ${2 * Hq * d}`);

const vOnes = T(new Float32Array(v.length).fill(1), Hkv);
const ones = await gqa(T(q, Hq), T(k, Hkv), vOnes).read();
const allOne = ones.every((o) => Math.abs(o - 1) < 1e-6);
console.log(`with V = 1, every output is 1 (weights sum to 1): ${allOne}`);
be.dispose();
