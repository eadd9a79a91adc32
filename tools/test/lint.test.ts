// publint and "Are the Types Wrong?" (esm-only profile) on every public tarball: the same
// check as `pnpm -F @llama-ops/tools lint`, run inside the test suite so CI enforces it.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { attwTarball, publintTarball } from '../lib/lint.mjs';
// @ts-expect-error plain ESM helper without type declarations
import { publicPackages } from '../lib/workspace.mjs';
import { tarballOf } from './helpers.js';

describe.each((publicPackages() as Array<{ name: string }>).map((p) => p.name))('%s', (name) => {
  it('passes publint (strict, suggestions included)', async () => {
    expect(await publintTarball(tarballOf(name))).toEqual([]);
  });
  it('passes attw --profile esm-only', () => {
    expect(attwTarball(tarballOf(name))).toEqual([]);
  });
});
