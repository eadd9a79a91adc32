import { UnsupportedError } from '@llama-ops/core';

/**
 * The error every kernel of the skeleton throws until it is written. The conformance kit
 * reports it as a failed case (not a skip), with this message.
 */
export function notImplemented(op: 'rmsnorm' | 'rope' | 'gqa'): UnsupportedError {
  return new UnsupportedError({
    op,
    hint: `not implemented in __PACKAGE__ yet: write the kernel in __SRC__/${op}.ts (see __GUIDE__)`,
  });
}
