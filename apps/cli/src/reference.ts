/**
 * The conformance kit, loaded on demand (commands that do not check never pay for it):
 * the float64 reference (`@llama-ops/conformance/reference`) and the suite's comparison
 * rules (`@llama-ops/conformance/suite`: SPEC.md's tolerances, `compare`, the RoPE bounds).
 * The CLI holds no copy of either; expected behaviour is written down in one place.
 */
import { CliFailure } from './args.js';

export type ReferenceModule = typeof import('@llama-ops/conformance/reference');
export type SuiteModule = typeof import('@llama-ops/conformance/suite');

/** The reference and the suite's helpers. */
export interface Conformance {
  ref: ReferenceModule;
  suite: SuiteModule;
}

let cached: Promise<Conformance> | undefined;

/** Load the conformance kit (once). */
export function conformance(): Promise<Conformance> {
  cached ??= load();
  return cached;
}

async function load(): Promise<Conformance> {
  try {
    const [ref, suite] = await Promise.all([import('@llama-ops/conformance/reference'), import('@llama-ops/conformance/suite')]);
    return { ref, suite };
  } catch (err) {
    throw new CliFailure(`cannot load the conformance kit (@llama-ops/conformance): ${(err as Error).message.split('\n')[0]}`);
  }
}
