/**
 * The project's conformance kit (every op, every option, float64 reference) on this
 * backend, in each GPU project, so that every case runs on at least one driver and every
 * kernel variant on all three:
 *  - Dawn on SwiftShader runs every case it supports (f32: SwiftShader has no shader-f16);
 *  - Dawn on lavapipe runs every f16 case and the first f32 case of each group (the other
 *    f32 cases run in the swiftshader project; lavapipe compiles with LLVM, slowly, on a
 *    2-core CI machine);
 *  - headless Chromium (the swiftshader driver, in a browser) runs the first case of each group.
 * Every project runs all the random cases; their number is per project (vitest.config.ts).
 * The cases left out are reported as skipped, with where they run.
 */
import { runConformance, type ConformanceCase } from '@llama-ops/conformance';
import { inject } from 'vitest';
import { createBackend } from '../src/index.js';

/**
 * `supports` for a project that runs one fixed case per (op, group, dtype) among the cases
 * `sampled` selects, and every other case; random cases all run.
 */
function firstOfEachGroup(sampled: (c: ConformanceCase) => boolean, reason: string): (c: ConformanceCase) => true | string {
  const seen = new Set<string>();
  return (c) => {
    if (c.group === 'random' || !sampled(c)) return true;
    const group = `${c.op}/${c.group}/${c.dtype}`;
    if (seen.has(group)) return reason;
    seen.add(group);
    return true;
  };
}

const SUPPORTS = {
  all: undefined,
  'first-of-each-group': firstOfEachGroup(
    () => true,
    'in the browser project, only the first case of each group runs; every case runs in the swiftshader project (the same driver, in Node) or, f16, the lavapipe project',
  ),
  'f16-all-f32-first-of-each-group': firstOfEachGroup(
    (c) => c.dtype === 'f32',
    'in the lavapipe project, only the first f32 case of each group runs; every f32 case runs in the swiftshader project',
  ),
} as const;

runConformance({
  name: 'webgpu',
  createBackend: () => createBackend(),
  supports: SUPPORTS[inject('conformanceCases')],
  random: { runs: inject('conformanceRuns') },
});
