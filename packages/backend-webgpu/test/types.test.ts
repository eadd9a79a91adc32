/**
 * The published declarations as a user's compiler sees them: a consumer (test/consumer/main.ts)
 * type-checks against dist/index.d.ts with skipLibCheck: false, so `tensor.gpuBuffer` is a
 * `GPUBuffer` and `fromGPUBuffer` refuses a plain object (the augmentation of core's
 * `GpuBufferHandle` reaches users). Needs the package built (turbo builds before tests).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

it('a consumer type-checks against dist/index.d.ts with skipLibCheck: false; gpuBuffer is a GPUBuffer', () => {
  expect(existsSync(join(here, '..', 'dist', 'index.d.ts')), 'build the package first (pnpm build)').toBe(true);
  const r = spawnSync(process.execPath, [tsc, '-p', join(here, 'consumer')], { encoding: 'utf8' });
  expect(r.status, `tsc:\n${r.stdout}${r.stderr}`).toBe(0);
}, 120_000);
