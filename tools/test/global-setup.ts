// Packs every public package once (as `changeset publish` would: pnpm rewrites
// `workspace:` ranges) and hands the tarballs to the test files that need them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper without type declarations
import { packPublic } from '../lib/workspace.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Package name -> path of its packed .tgz. */
    tarballs: Record<string, string>;
  }
}

export default function setup(project: TestProject) {
  const dest = mkdtempSync(join(tmpdir(), 'llama-ops-pack-'));
  const started = Date.now();
  const tarballs = packPublic(dest, { unbuilt: 'skip' }) as Record<string, string>;
  console.log(`[release-tests] packed ${Object.keys(tarballs).length} public packages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('tarballs', tarballs);
  return () => rmSync(dest, { recursive: true, force: true });
}
