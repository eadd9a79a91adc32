/**
 * README.md's case counts are generated (scripts/readme.mjs) from the suite itself; this fails
 * when a case is added or removed without regenerating them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listCases } from '../src/suite.js';
// @ts-expect-error plain ESM script without type declarations
import { README, casesBlock, withCasesBlock } from '../scripts/readme.mjs';

describe('README.md', () => {
  it('states the case counts of the fixed suite as listCases() has them', () => {
    const readme = readFileSync(README, 'utf8');
    const regenerated = withCasesBlock(readme, casesBlock(listCases()));
    expect(readme, 'stale case counts: run `pnpm -F @llama-ops/conformance build && pnpm -F @llama-ops/conformance readme`').toBe(regenerated);
    expect(readme).toContain(`## The fixed suite (${listCases().length} cases: `);
  });

  it('names every case group of the suite', () => {
    const readme = readFileSync(README, 'utf8');
    const groups = new Set(listCases().map((c) => c.group));
    expect([...groups].filter((group) => !readme.includes(`\`${group}\``))).toEqual([]);
  });
});
