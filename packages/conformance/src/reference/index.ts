/**
 * `@llama-ops/conformance/reference`: the float64 reference of every op, written plainly
 * from SPEC.md. Tests may use it; no backend may import it for its own computing.
 *
 * @packageDocumentation
 */
export { referenceAddRmsnorm, referenceRmsnorm, type ReferenceAddRmsnormResult, type ReferenceRmsnormOptions } from './rmsnorm.js';
export {
  referenceRope,
  referenceRopeFrequencies,
  referenceRopePositions,
  type ReferenceRopeFrequencies,
  type ReferenceRopeOptions,
} from './rope.js';
export { referenceGqa, type ReferenceGqaOptions, type ReferenceGqaShapes } from './gqa.js';
export { F32_MIN_NORMAL, flushSubnormals, MASKED_AT } from './range.js';
