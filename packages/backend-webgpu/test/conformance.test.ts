/**
 * The project's conformance kit (every op, every option, float64 reference) on this
 * backend, in each GPU project: Dawn on SwiftShader and Dawn on lavapipe (with f16) run
 * every case; headless Chromium runs the first case of each group (its adapter is the same
 * SwiftShader driver as the swiftshader project's: the browser run proves the backend in a
 * browser, every kernel variant once, and the rest are reported as skipped with where they
 * run). The random mode's size is per project; see vitest.config.ts.
 */
import { runConformance, type ConformanceCase } from '@llama-ops/conformance';
import { inject } from 'vitest';
import { createBackend } from '../src/index.js';

/** `supports` for a project that runs one fixed case per (op, group, dtype); random cases all run. */
function firstOfEachGroup(): (c: ConformanceCase) => true | string {
  const seen = new Set<string>();
  return (c) => {
    if (c.group === 'random') return true;
    const group = `${c.op}/${c.group}/${c.dtype}`;
    if (seen.has(group)) return 'in the browser project, only the first case of each group runs; every case runs in the swiftshader project (the same driver, in Node)';
    seen.add(group);
    return true;
  };
}

runConformance({
  name: 'webgpu',
  createBackend: () => createBackend(),
  supports: inject('conformanceCases') === 'first-of-each-group' ? firstOfEachGroup() : undefined,
  random: { runs: inject('conformanceRuns') },
});
