/**
 * Quick development benchmark (not a test): the wasm kernels through the core API, on 1
 * and 2 threads. Run `pnpm -F @llama-ops/backend-wasm build && node bench/quick.mjs`.
 * Optional args: `rms rope prefill decode` to pick, `--threads=1,2`, `--iters=N`, and
 * `--cpu` to report process CPU time instead of wall time (steadier on a loaded machine).
 * For the comparison with onnxruntime, use apps/bench.
 */
import { addRmsnorm, gqa, rmsnorm, rope } from '@llama-ops/core';
import { createBackend } from '../dist/index.js';
import { median, rand } from './common.mjs';

const args = process.argv.slice(2);
const pick = args.filter((a) => !a.startsWith('--'));
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const threadCounts = opt('threads', '1,2').split(',').map(Number);
const iters = Number(opt('iters', 20));
const want = (n) => pick.length === 0 || pick.includes(n);

const useCpu = args.includes('--cpu');
/** Median ms of fn (returns the tensors to dispose), see common.mjs. */
const time = (fn) => median(fn, { iters, cpu: useCpu, after: (outs) => [outs].flat().forEach((t) => t.dispose()) });

const report = (name, threads, ms, extra = '') => {
  console.log(`${name.padEnd(40)} t=${threads}  ${ms.toFixed(3)} ms  ${extra}`);
};

if (want('rms')) {
  const n = 2048 * 4096;
  const src = rand(n);
  const dst = new Float32Array(n);
  const copyMs = await time(() => {
    dst.set(src);
    return [];
  });
  report('TypedArray copy 32 MiB', 1, copyMs, `${((2 * n * 4) / copyMs / 1e6).toFixed(1)} GB/s`);
  for (const threads of threadCounts) {
    const be = await createBackend({ threads });
    const x = be.tensor(src, [2048, 4096]);
    const r = be.tensor(rand(n, 2), [2048, 4096]);
    const w = be.tensor(rand(4096, 3), [4096]);
    const ms = await time(() => rmsnorm(x, w));
    report('rmsnorm [2048,4096]', threads, ms, `${(copyMs / ms * 100).toFixed(0)}% of copy bandwidth`);
    const ms2 = await time(() => { const o = addRmsnorm(x, r, w); return [o.y, o.sum]; });
    report('addRmsnorm [2048,4096]', threads, ms2, `${((4 * n * 4) / ms2 / 1e6).toFixed(1)} GB/s`);
    be.dispose();
  }
}

if (want('rope')) {
  for (const threads of threadCounts) {
    const be = await createBackend({ threads });
    const shape = [1, 512, 32, 128];
    const x = be.tensor(rand(512 * 32 * 128), shape);
    report('rope [1,512,32,128]', threads, await time(() => rope(x, { positions: 0 })));
    report('rope [1,512,32,128] interleaved', threads, await time(() => rope(x, { positions: 0, interleaved: true })));
    const xd = be.tensor(rand(32 * 128), [1, 1, 32, 128]);
    report('rope decode [1,1,32,128] @ 2047', threads, await time(() => rope(xd, { positions: 2047 })));
    be.dispose();
  }
}

if (want('prefill') || want('decode')) {
  for (const threads of threadCounts) {
    const be = await createBackend({ threads });
    if (want('prefill')) {
      const S = 512;
      const q = be.tensor(rand(S * 32 * 64, 4), [1, S, 32, 64]);
      const k = be.tensor(rand(S * 8 * 64, 5), [1, S, 8, 64]);
      const v = be.tensor(rand(S * 8 * 64, 6), [1, S, 8, 64]);
      const ms = await time(() => gqa(q, k, v, { causal: true }));
      const flops = 2 * 2 * 32 * 64 * (S * (S + 1)) / 2;
      report('gqa prefill 32/8/64 S=512 causal', threads, ms, `${(flops / ms / 1e6).toFixed(1)} GFLOP/s`);
    }
    if (want('decode')) {
      const L = 2048;
      for (const [hq, hkv, d] of [[32, 8, 64], [32, 4, 64], [32, 8, 128], [32, 32, 128]]) {
        const q = be.tensor(rand(hq * d, 7), [1, 1, hq, d]);
        const k = be.tensor(rand(L * hkv * d, 8), [1, L, hkv, d]);
        const v = be.tensor(rand(L * hkv * d, 9), [1, L, hkv, d]);
        const ms = await time(() => gqa(q, k, v, { kvLength: L }));
        report(`gqa decode ${hq}/${hkv}/${d} over ${L}`, threads, ms, `${((2 * L * hkv * d * 4) / ms / 1e6).toFixed(1)} GB/s of K/V`);
      }
    }
    be.dispose();
  }
}
