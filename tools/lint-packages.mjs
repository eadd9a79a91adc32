#!/usr/bin/env node
// `pnpm -F @llama-ops/tools lint`: pack every public package as `changeset publish` would
// and run publint + attw (esm-only) on each tarball. Exits non-zero on any problem.
// The same checks run inside the test suite (test/lint.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attwTarball, publintTarball } from './lib/lint.mjs';
import { packPublic } from './lib/workspace.mjs';

const dest = mkdtempSync(join(tmpdir(), 'llama-ops-lint-'));
let failed = 0;
try {
  const tarballs = packPublic(dest);
  for (const [name, tarball] of Object.entries(tarballs)) {
    const problems = [
      ...(await publintTarball(tarball)).map((p) => `publint ${p}`),
      ...attwTarball(tarball).map((p) => `attw ${p}`),
    ];
    if (problems.length === 0) {
      console.log(`ok   ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}\n${problems.map((p) => `     ${p}`).join('\n')}`);
    }
  }
} finally {
  rmSync(dest, { recursive: true, force: true });
}
process.exit(failed === 0 ? 0 : 1);
