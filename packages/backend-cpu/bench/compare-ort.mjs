// Times the cpu backend against onnxruntime-node on Llama shapes.
// Run after building: `npx -y pnpm@10.34.8 -F @llama-ops/backend-cpu build && node bench/compare-ort.mjs`
// Options: `--only rmsnorm,addRmsnorm,rope,gqa-prefill,gqa-decode` (name prefixes), `--runs N`, `--no-ort`.
// Each op runs through core's public API (output allocation included, as a user sees it);
// ORT runs one-node models from @llama-ops/onnx-peer on its native CPU EP, 1 thread and
// ORT's default (all cores). Reported: median ms over many runs after warm-up.
import { addRmsnorm, gqa, rmsnorm, rope } from '@llama-ops/core';
import os from 'node:os';
import { createBackend } from '../dist/index.js';

const args = process.argv.slice(2);
const argOf = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = argOf('--only')?.split(',');
const runsArg = Number(argOf('--runs') ?? 0);
const noOrt = args.includes('--no-ort');

let peer = null;
if (!noOrt) {
  try {
    peer = await import('@llama-ops/onnx-peer');
  } catch (err) {
    console.error(`onnxruntime comparison skipped: @llama-ops/onnx-peer not available (${err.message.split('\n')[0]})`);
  }
}

function randn(n, seed, amp = 1) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * amp;
  }
  return out;
}

/**
 * Medians of several functions timed round-robin (one run of each per round), so load from
 * other processes on this shared machine hits every contender alike.
 */
async function timeInterleaved(fns, { warmup, runs }) {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const ts = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let f = 0; f < fns.length; f++) {
      const t0 = performance.now();
      await fns[f]();
      ts[f].push(performance.now() - t0);
    }
  }
  return ts.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const be = await createBackend();
const rows = [];

/** ORT contenders for one model: 1 intra-op thread, and ORT's default (all cores). */
async function ortContenders(model, feeds, check) {
  const out = { fns: [], release: [], diff: undefined };
  for (const threads of [1, undefined]) {
    const runner = await peer.createOrtRunner({ runtime: 'node', model, threads });
    const prepared = runner.prepare(feeds);
    const res = await runner.run(prepared);
    if (check) out.diff = check(res);
    out.fns.push(() => runner.run(prepared));
    out.release.push(() => runner.release());
  }
  return out;
}

async function bench(name, reps, cpuFn, ortCase) {
  if (only && !only.some((o) => name.startsWith(o))) return;
  if (runsArg) reps = { warmup: Math.min(reps.warmup, 3), runs: runsArg };
  const ort = peer && ortCase ? await ortCase() : null;
  const [cpu, ort1, ortAll] = await timeInterleaved([cpuFn, ...(ort ? ort.fns : [])], reps);
  if (ort) for (const r of ort.release) await r();
  const row = { op: name, cpu, ort1, ortAll, diff: ort?.diff };
  rows.push(row);
  const f = (x) => (x === undefined ? '-' : x.toFixed(2));
  console.log(
    `| ${name.padEnd(24)} | ${f(row.cpu).padStart(7)} | ${f(row.ort1).padStart(7)} | ${(row.ort1 ? (row.cpu / row.ort1).toFixed(2) : '-').padStart(6)} | ${f(row.ortAll).padStart(7)} | ${(row.ortAll ? (row.cpu / row.ortAll).toFixed(2) : '-').padStart(6)} | ${row.diff === undefined ? '-' : row.diff.toExponential(1)} |`,
  );
}

console.log(`cpu backend (1 thread) vs onnxruntime-node ${peer ? '' : '(not available) '}on ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, Node ${process.version}; median ms`);
console.log('| op | cpu | ort 1T | cpu/ort1T | ort all | cpu/ortAll | max abs diff |');
console.log('|---|---:|---:|---:|---:|---:|---|');

// RMSNorm [2048, 4096]
{
  const [R, H] = [2048, 4096];
  const x = randn(R * H, 1, 2);
  const res = randn(R * H, 4, 2);
  const w = randn(H, 2);
  const xt = be.tensor(x, [R, H]);
  const rt = be.tensor(res, [R, H]);
  const wt = be.tensor(w, [H]);
  const cpuY = await rmsnorm(xt, wt).read();
  await bench(
    'rmsnorm [2048,4096]',
    { warmup: 3, runs: 15 },
    () => rmsnorm(xt, wt).dispose(),
    async () => {
      const model = peer.rmsNormalizationModel({ shape: [R, H] });
      return ortContenders(model, { X: peer.f32(x, [R, H]), scale: peer.f32(w, [H]) }, (r) => maxDiff(r.Y.data, cpuY));
    },
  );
  const fused = addRmsnorm(xt, rt, wt);
  const cpuFused = await fused.y.read();
  await bench(
    'addRmsnorm [2048,4096]',
    { warmup: 3, runs: 15 },
    () => {
      const o = addRmsnorm(xt, rt, wt);
      o.y.dispose();
      o.sum.dispose();
    },
    async () => {
      const model = peer.skipSimplifiedLayerNormModel({ shape: [R, H] });
      return ortContenders(model, { input: peer.f32(x, [R, H]), skip: peer.f32(res, [R, H]), gamma: peer.f32(w, [H]) }, (r) =>
        maxDiff(r.output.data, cpuFused),
      );
    },
  );
}

// RoPE [1, 512, 32, 128], positions 0..511, theta 500000
{
  const [B, S, Hh, D] = [1, 512, 32, 128];
  const x = randn(B * S * Hh * D, 3);
  const xt = be.tensor(x, [B, S, Hh, D]);
  const opts = { positions: 0, theta: 500000 };
  const cpuY = await rope(xt, opts).read();
  await bench(
    'rope [1,512,32,128]',
    { warmup: 5, runs: 30 },
    () => rope(xt, opts).dispose(),
    async () => {
      const half = D / 2;
      const invFreq = Array.from({ length: half }, (_, i) => 500000 ** ((-2 * i) / D));
      const { cos, sin } = peer.rotaryCaches(invFreq, Array.from({ length: S }, (_, i) => i));
      const model = peer.rotaryEmbeddingModel({ batch: B, seq: S, heads: Hh, headDim: D, cache: { kind: 'positionIds', maxPositions: S } });
      const feeds = {
        X: peer.f32(x, [B, S, Hh * D]),
        cos_cache: peer.f32(cos, [S, half]),
        sin_cache: peer.f32(sin, [S, half]),
        position_ids: peer.i64(Array.from({ length: S }, (_, i) => i), [B, S]),
      };
      return ortContenders(model, feeds, (r) => maxDiff(r.Y.data, cpuY));
    },
  );
}

// GQA Hq=32, Hkv=8, d=64: causal prefill of 512, and decode (seqQ=1) over a 2048-entry cache.
for (const [name, seqQ, seqKV, reps] of [
  ['gqa-prefill', 512, 512, { warmup: 2, runs: 7 }],
  ['gqa-decode', 1, 2048, { warmup: 10, runs: 60 }],
]) {
  const [B, Hq, Hkv, D] = [1, 32, 8, 64];
  const q = randn(B * seqQ * Hq * D, 5);
  const k = randn(B * seqKV * Hkv * D, 6);
  const v = randn(B * seqKV * Hkv * D, 7);
  const qt = be.tensor(q, [B, seqQ, Hq, D]);
  const kt = be.tensor(k, [B, seqKV, Hkv, D]);
  const vt = be.tensor(v, [B, seqKV, Hkv, D]);
  const cpuY = await gqa(qt, kt, vt).read();
  await bench(
    `${name} ${seqQ}x${seqKV}`,
    reps,
    () => gqa(qt, kt, vt).dispose(),
    async () => {
      const { feeds, pastLength } = peer.gqaFeeds({ q, k, v, batch: B, seqQ, seqKV, headsQ: Hq, headsKV: Hkv, headDim: D, kvLength: [seqKV] });
      const model = peer.groupQueryAttentionModel({ batch: B, seqQ, pastLength, headsQ: Hq, headsKV: Hkv, headDim: D });
      return ortContenders(model, feeds, (res) => maxDiff(res.output.data, cpuY));
    },
  );
  // The same attention as ONNX opset-23 `Attention` (no KV concat inside ORT): causal with
  // seqQ == seqKV for prefill, non-causal for the single decode query (it sees every key).
  await bench(
    `${name} (vs Attention)`,
    reps,
    () => gqa(qt, kt, vt).dispose(),
    async () => {
      const model = peer.attentionModel({ batch: B, seqQ, seqKV, headsQ: Hq, headsKV: Hkv, headDim: D, causal: seqQ > 1 });
      const feeds = { Q: peer.f32(q, [B, seqQ, Hq * D]), K: peer.f32(k, [B, seqKV, Hkv * D]), V: peer.f32(v, [B, seqKV, Hkv * D]) };
      return ortContenders(model, feeds, (res) => maxDiff(res.Y.data, cpuY));
    },
  );
}

if (args.includes('--json')) console.log(JSON.stringify(rows));
