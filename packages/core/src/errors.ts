/**
 * Typed errors. Every error llama-ops throws on bad input is a {@link LlamaOpsError}
 * subclass with a stable `code`, the name of the offending argument, and what was
 * expected versus what was given, so callers can branch on `code` and users can read
 * the message.
 */

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'E_SHAPE'
  | 'E_DTYPE'
  | 'E_VALUE'
  | 'E_BACKEND_MISMATCH'
  | 'E_DISPOSED'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_UNSUPPORTED'
  | 'E_CAPACITY'
  | 'E_DEVICE_LOST';

/** What an error is about: the op (or API) that refused, the argument, expected and actual. */
export interface ErrorDetails {
  /** The op or API that raised the error, e.g. `rmsnorm`, `gqa`, `backend.tensor`. */
  op: string;
  /** The argument (or option) at fault, e.g. `weight`, `options.rotaryDim`. */
  argument?: string;
  /** What was expected, in words or shape notation, e.g. `[4096]`. */
  expected?: string;
  /** What was given. */
  actual?: string;
  /** Free text appended to the message. */
  hint?: string;
}

function formatMessage(d: ErrorDetails): string {
  let msg = `${d.op}: `;
  if (d.argument !== undefined) msg += `${d.argument} `;
  if (d.expected !== undefined) msg += `expected ${d.expected}`;
  if (d.actual !== undefined) msg += `${d.expected !== undefined ? ', ' : ''}got ${d.actual}`;
  if (d.hint !== undefined) msg += `${d.expected !== undefined || d.actual !== undefined ? '. ' : ''}${d.hint}`;
  return msg;
}

/** Base class of every error thrown by llama-ops. */
export class LlamaOpsError extends Error {
  /** Stable error code; branch on this rather than on the message. */
  readonly code: ErrorCode;
  /** The op or API that raised the error. */
  readonly op: string;
  /** The argument at fault, if any. */
  readonly argument: string | undefined;
  /** What was expected, if stated. */
  readonly expected: string | undefined;
  /** What was given, if stated. */
  readonly actual: string | undefined;

  constructor(code: ErrorCode, details: ErrorDetails) {
    super(formatMessage(details));
    this.name = new.target.name;
    this.code = code;
    this.op = details.op;
    this.argument = details.argument;
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** A tensor has the wrong rank or shape, or two shapes disagree. */
export class ShapeError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_SHAPE', details);
  }
}

/** A tensor has the wrong dtype, or inputs of one op disagree in dtype. */
export class DTypeError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_DTYPE', details);
  }
}

/** An option or scalar argument is out of range, not an integer, not finite, etc. */
export class ValueError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_VALUE', details);
  }
}

/** Tensors passed to one op live on different backends. */
export class BackendMismatchError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_BACKEND_MISMATCH', details);
  }
}

/** A disposed tensor (or a tensor of a disposed backend) was used. */
export class DisposedError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_DISPOSED', details);
  }
}

/** One backend attempt that failed during {@link createBackend}-style selection. */
export interface BackendAttempt {
  /** Backend name, e.g. `webgpu`. */
  name: string;
  /** Why it could not be used. */
  reason: string;
  /** Whether its package could be found at all. */
  installed: boolean;
  /** The command that installs it, when it is not installed. */
  install?: string;
}

/** No requested backend could be created; `attempts` says why for each one tried. */
export class BackendUnavailableError extends LlamaOpsError {
  /** Each backend tried, in order, and why it failed. */
  readonly attempts: readonly BackendAttempt[];
  constructor(details: ErrorDetails, attempts: readonly BackendAttempt[]) {
    super('E_BACKEND_UNAVAILABLE', details);
    this.attempts = attempts;
  }
}

/** The backend cannot do what was asked (a dtype or feature it does not declare). */
export class UnsupportedError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_UNSUPPORTED', details);
  }
}

/** A KV cache (or preallocated buffer) has no room for what was asked. */
export class CapacityError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_CAPACITY', details);
  }
}

/** The GPU device was lost; create a new backend to continue. */
export class DeviceLostError extends LlamaOpsError {
  constructor(details: ErrorDetails) {
    super('E_DEVICE_LOST', details);
  }
}
