/**
 * Builds the two wasm modules from assembly/index.ts with AssemblyScript (a devDependency:
 * no system toolchain needed):
 * - build/kernels.wasm: SIMD, single thread;
 * - build/kernels-threads.wasm: SIMD + threads, shared imported memory (max 4 GiB).
 * Both import exactly `env.memory` (--importMemory, --runtime stub, --use abort=): the JS
 * side owns memory and allocation. tsup then embeds both as base64 in dist/index.js.
 */
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(resolve(root, 'build'), { recursive: true });

const common = ['assembly/index.ts', '-O3', '--noAssert', '--enable', 'simd', '--runtime', 'stub', '--use', 'abort=', '--importMemory'];
const variants = [
  { out: 'build/kernels.wasm', flags: [] },
  { out: 'build/kernels-threads.wasm', flags: ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'] },
];

for (const { out, flags } of variants) {
  const { error, stderr } = await asc.main([...common, ...flags, '--outFile', out, '--textFile', out.replace(/\.wasm$/, '.wat')], {
    stdout: process.stdout,
    stderr: process.stderr,
    baseDir: root,
  });
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for ${out}: ${error.message}`);
  }
}
console.log('built', variants.map((v) => v.out).join(', '));
