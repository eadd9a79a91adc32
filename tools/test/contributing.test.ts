// The contributor path: CONTRIBUTING.md covers what it must and points only at things that
// exist; the conformance kit documents its cases and tolerances and lists which cases a
// backend skips, and why.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverageReport, listCases } from '@llama-ops/conformance/suite';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { ROOT } from '../lib/workspace.mjs';

const contributing = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');
const rootScripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;

describe('CONTRIBUTING.md', () => {
  it('explains the layout, one package’s tests, benchmarks, adding a backend, and changesets', () => {
    for (const heading of ['## Layout', '## Build and test', '## Benchmarks', '## Adding a backend', '## Changesets and releases']) {
      expect(contributing).toContain(heading);
    }
    expect(contributing).toMatch(/pnpm -F @llama-ops\/backend-cpu test/);
    expect(contributing).toMatch(/llama-ops\/?\S* bench|cli\.js bench/);
    expect(contributing).toContain('apps/bench');
    expect(contributing).toContain('pnpm new-backend');
    expect(contributing).toContain('pnpm changeset');
    expect(contributing).toContain('packages/conformance/README.md');
  });

  it('points only at paths that exist', () => {
    const paths = new Set(
      [...contributing.matchAll(/`((?:packages|apps|tools|templates|scripts|\.changeset)\/[\w./-]*)`/g)]
        .map((m) => m[1]!)
        .filter((p) => !p.includes('webgl')), // the example backend of the guide
    );
    expect(paths.size).toBeGreaterThan(10);
    const missing = [...paths].filter((p) => !existsSync(join(ROOT, p.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });

  it('uses only root scripts that exist', () => {
    const used = new Set([...contributing.matchAll(/^pnpm ([a-z][\w:-]*)/gm)].map((m) => m[1]!));
    const builtins = new Set(['install', 'exec', 'run']);
    const missing = [...used].filter((s) => !builtins.has(s) && !(s in rootScripts));
    expect(missing).toEqual([]);
    expect(rootScripts['new-backend']).toBe('node tools/new-backend.mjs');
  });
});

describe('the conformance kit, as CONTRIBUTING.md describes it', () => {
  it('documents its cases and tolerances in packages/conformance/README.md', () => {
    const file = join(ROOT, 'packages', 'conformance', 'README.md');
    expect(existsSync(file), 'packages/conformance/README.md is missing').toBe(true);
    const readme = readFileSync(file, 'utf8');
    for (const bound of ['1e-5', '2e-6', '1e-4']) expect(readme, `tolerance ${bound}`).toContain(bound);
    expect(readme).toContain('runConformance');
  });

  it('lists which cases a backend skips and why (coverageReport)', () => {
    const supports = (c: { op: string }) => (c.op === 'kvcache' ? 'no KV cache on this test backend' : true);
    const report = coverageReport(['f32'], supports as never);
    expect(report.total).toBe(listCases({}).length);
    expect(report.skipped).toBeGreaterThan(0);
    const reasons = report.reasons.map((r) => r.reason);
    expect(reasons).toContain('no KV cache on this test backend');
    expect(reasons.some((r) => r.includes('f16'))).toBe(true);
    for (const e of report.entries) {
      if (e.op === 'kvcache' && e.dtype === 'f32') expect(e.skipped).toBe('no KV cache on this test backend');
      if (e.dtype === 'f16') expect(e.skipped).toMatch(/f16/);
    }
    expect(report.run + report.skipped).toBe(report.total);
  });
});
