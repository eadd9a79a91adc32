/** What runBench needs from anything it measures (a backend or a peer). */
import type { ContenderInfo } from './report.js';
import type { BenchRow, RowInputs } from './rows.js';
import type { TimedCall } from './timing.js';

/** A contender's state for one row: inputs already in its memory, ready to call. */
export interface RowSession {
  /** One call, with the barrier (sync / await run); returns device ms when measured on the device. */
  call: TimedCall;
  /** One untimed call whose outputs are read back (checksums, cross-check). */
  outputs(): Promise<Float32Array[]>;
  /** Free the row's inputs. */
  release(): Promise<void> | void;
  /** Op name used (peers). */
  opName?: string;
}

/** Something measured on every row it applies to. */
export interface Contender {
  info: ContenderInfo;
  /** False when the contender has nothing for this row (e.g. the GQA contrib op on an RMSNorm row). */
  appliesTo(row: BenchRow): boolean;
  /**
   * Why this contender cannot run `row` (e.g. a tensor larger than the device can bind), or
   * null. Asked before the row's inputs are made, so a row no contender can run costs nothing.
   */
  fits?(row: BenchRow): string | null;
  /** Upload the row's inputs; rejects with a reason to skip the row. */
  prepare(row: BenchRow, inputs: RowInputs): Promise<RowSession>;
  dispose(): Promise<void> | void;
}

/** The first line of an error's message (reasons stay one line in tables). */
export function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim() || 'unknown error';
}

/** Reject after `ms` with `what timed out`, so a hung start never hangs the run. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
