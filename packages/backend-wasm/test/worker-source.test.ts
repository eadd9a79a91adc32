/**
 * The workers' source is text: it must not depend on a function's `toString()`, which a
 * minifier (a bundled page: vite, esbuild) renames along with the constants the function reads.
 * The docs playground's threaded wasm path failed with "take is not defined" that way (the docs
 * e2e test, on the minified site, catches that). Here the source's `take`, compiled from the
 * source text alone, is checked to behave as the caller's.
 */
import { describe, expect, it } from 'vitest';
import { CTRL_TICKET64, CTRL_WORDS, take, WORKER_SOURCE } from '../src/worker-source.js';

/** The worker's take(), compiled from WORKER_SOURCE alone (its constants and the function). */
function workerTake(): typeof take {
  const start = WORKER_SOURCE.indexOf('function take(');
  const end = WORKER_SOURCE.indexOf('\nfunction serve(');
  expect(start, 'WORKER_SOURCE defines take() by that name').toBeGreaterThan(0);
  const constants = WORKER_SOURCE.slice(0, start);
  return new Function(`${constants}\n${WORKER_SOURCE.slice(start, end)}\nreturn take;`)() as typeof take;
}

describe('WORKER_SOURCE', () => {
  it("take() in the workers hands out the same units as the caller's", () => {
    const fromSource = workerTake();
    for (const [units, chunk] of [
      [10, 3],
      [7, 7],
      [1, 4],
    ]) {
      const a = new BigUint64Array(CTRL_WORDS / 2);
      const b = new BigUint64Array(CTRL_WORDS / 2);
      const tag = 5n;
      a[CTRL_TICKET64] = tag << 32n;
      b[CTRL_TICKET64] = tag << 32n;
      const seqA: number[] = [];
      const seqB: number[] = [];
      for (let u: number; (u = take(a, tag, units, chunk)) >= 0; ) seqA.push(u);
      for (let u: number; (u = fromSource(b, tag, units, chunk)) >= 0; ) seqB.push(u);
      expect(seqB).toEqual(seqA);
      expect(seqA[0]).toBe(0);
      // A stale tag takes nothing.
      expect(fromSource(b, tag + 1n, units, chunk)).toBe(-1);
    }
  });
});
