/**
 * First generates both sides of the kernels' parameter blocks from params.schema.mjs
 * (scripts/params-codegen.mjs): assembly/params.ts and src/params.ts, build outputs that
 * git ignores. Then builds the two wasm modules from assembly/index.ts with
 * AssemblyScript (a devDependency: no system toolchain needed):
 * - build/kernels.wasm: SIMD, single thread;
 * - build/kernels-threads.wasm: SIMD + threads, shared imported memory (max 4 GiB).
 * Both import exactly `env.memory` (--importMemory, --runtime stub, --use abort=): the JS
 * side owns memory and allocation. tsup then embeds both as base64 in dist/index.js.
 */
import asc from 'assemblyscript/asc';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PARAM_BLOCKS } from '../params.schema.mjs';
import { assemblySource, paramLayout, typescriptSource } from './params-codegen.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(resolve(root, 'build'), { recursive: true });

const layout = paramLayout(PARAM_BLOCKS);
for (const [file, text] of [
  ['assembly/params.ts', assemblySource(layout)],
  ['src/params.ts', typescriptSource(layout)],
]) {
  const path = resolve(root, file);
  // Rewritten only when it changes, so watchers and editors see no spurious edit.
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}
console.log(`generated assembly/params.ts, src/params.ts (${layout.blocks.length} blocks, ${layout.bytes} bytes)`);

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
