/**
 * runConformance as a backend package uses it: the whole suite registered as vitest tests on
 * the JS test double (which must pass everything), plus an f32-only backend whose f16 cases
 * must appear as skipped tests carrying the reason.
 */
import { runConformance } from '../src/index.js';
import { createJsBackend } from './js-backend.js';

runConformance({ name: 'js test double', createBackend: () => createJsBackend() });

runConformance({
  name: 'js test double, f32 only, no sinks',
  createBackend: () => createJsBackend({ dtypes: ['f32'] }),
  supports: (c) => (c.op === 'gqa' && c.group === 'sinks' ? 'sinks not implemented (example of an honest skip)' : true),
  ops: ['rmsnorm', 'gqa'],
  random: false,
});
