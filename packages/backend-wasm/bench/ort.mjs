/**
 * The same shapes as bench/quick.mjs on onnxruntime (dev only; apps/bench is the real
 * harness). `node bench/ort.mjs web 1` or `node bench/ort.mjs node 2 prefill decode`.
 * ORT-web fixes its thread count at its first session, so use one process per count.
 */
import {
  attentionModel,
  createOrtRunner,
  f32,
  i64,
  rmsNormalizationModel,
  rotaryEmbeddingModel,
  skipSimplifiedLayerNormModel,
} from '../../onnx-peer/dist/index.js';
import { median, rand } from './common.mjs';

const [runtime = 'web', threadsArg = '1', ...pick] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
/** Optional op names after the thread count (`rms rope prefill decode`), as in quick.mjs. */
const want = (n) => pick.length === 0 || pick.includes(n);
/** --cpu: process CPU time per run instead of wall time (steadier on a loaded machine; counts all threads). */
const useCpu = process.argv.includes('--cpu');
const threads = Number(threadsArg);
const iters = 20;

async function time(name, model, feeds) {
  const r = await createOrtRunner({ runtime, model, threads });
  const p = r.prepare(feeds);
  const ms = await median(() => r.run(p), { iters, cpu: useCpu });
  console.log(`ort-${runtime} ${name.padEnd(36)} t=${r.threads ?? threads}  ${ms.toFixed(3)} ms`);
  await r.release();
}

const n = 2048 * 4096;
if (want('rms')) await time('rmsnorm [2048,4096]', rmsNormalizationModel({ shape: [2048, 4096] }), { X: f32(rand(n), [2048, 4096]), scale: f32(rand(4096, 2), [4096]) });
if (want('rms')) await time('addRmsnorm [2048,4096]', skipSimplifiedLayerNormModel({ shape: [2048, 4096] }), {
  input: f32(rand(n), [2048, 4096]),
  skip: f32(rand(n, 3), [2048, 4096]),
  gamma: f32(rand(4096, 2), [4096]),
});
if (want('rope')) {
  const [B, S, H, D] = [1, 512, 32, 128];
  const cos = rand(S * 64, 4), sin = rand(S * 64, 5);
  await time('rope [1,512,32,128]', rotaryEmbeddingModel({ batch: B, seq: S, heads: H, headDim: D }), {
    X: f32(rand(B * S * H * D), [B, S, H * D]),
    cos_cache: f32(cos, [S, 64]),
    sin_cache: f32(sin, [S, 64]),
    position_ids: i64(BigInt64Array.from({ length: S }, (_, i) => BigInt(i)), [B, S]),
  });
}
{
  const S = 512;
  if (want('prefill')) await time('attention prefill 32/8/64 S=512 causal', attentionModel({ batch: 1, seqQ: S, seqKV: S, headsQ: 32, headsKV: 8, headDim: 64, causal: true }), {
    Q: f32(rand(S * 32 * 64, 4), [1, S, 32 * 64]),
    K: f32(rand(S * 8 * 64, 5), [1, S, 8 * 64]),
    V: f32(rand(S * 8 * 64, 6), [1, S, 8 * 64]),
  });
  const L = 2048;
  if (want('decode')) await time('attention decode 32/8/64 over 2048', attentionModel({ batch: 1, seqQ: 1, seqKV: L, headsQ: 32, headsKV: 8, headDim: 64, causal: false }), {
    Q: f32(rand(32 * 64, 7), [1, 1, 32 * 64]),
    K: f32(rand(L * 8 * 64, 8), [1, L, 8 * 64]),
    V: f32(rand(L * 8 * 64, 9), [1, L, 8 * 64]),
  });
}
