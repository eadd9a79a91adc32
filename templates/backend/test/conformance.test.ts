/**
 * The shared conformance kit against the __NAME__ backend: every fixed case of every op,
 * plus the seeded random mode, checked against the float64 reference under SPEC.md's
 * tolerances. This is the backend's only required test.
 *
 * Cases the backend cannot run are skipped only with a reason: f16 cases are skipped by the
 * kit when `capabilities.dtypes` has no 'f16'; anything else goes through `supports`, e.g.
 *   supports: (c) => (c.op === 'gqa' && c.group === 'mask' ? 'additive masks are not implemented yet' : true)
 * (`c.op`, `c.group`, `c.id` and `c.dtype` identify a case; `coverageReport()` from
 * `@llama-ops/conformance/suite` lists which cases run and which are skipped, and why).
 * An op that throws "not implemented" FAILS here (it does not skip): implement it, or say why not.
 */
import { runConformance } from '@llama-ops/conformance';
import { createBackend } from '../src/index.js';

runConformance({
  name: '__NAME__',
  createBackend: () => createBackend(),
  supports: () => true,
});
