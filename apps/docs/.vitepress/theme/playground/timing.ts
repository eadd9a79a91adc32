/**
 * The playground's timing of one op call. performance.now() is coarse in browsers (5 µs in a
 * cross-origin isolated page, 100 µs otherwise, plus jitter): a small op on wasm takes less
 * than that. So each sample times enough back-to-back calls to last MIN_SAMPLE_MS, and the
 * per-call time is its mean.
 */

/** A timed sample lasts at least this long: 2000x the 5 µs timer step of an isolated page. */
export const MIN_SAMPLE_MS = 10;
export const MAX_CALLS_PER_SAMPLE = 1 << 14;

/** The samples of one measurement. */
export interface Timing {
  /** Median time of one call: the median sample over its calls. */
  medianMs: number;
  /** Number of samples taken. */
  samples: number;
  callsPerSample: number;
  /** The median sample's length: long enough to be far above the timer's resolution. */
  sampleMs: number;
}

/** Time `callOnce` (one op call, awaited to its end) after the warm-up run; `now` is the clock. */
export async function measureCalls(callOnce: () => Promise<void>, now: () => number = () => performance.now()): Promise<Timing> {
  let t0: number;
  let callsPerSample = 1;
  for (;;) {
    // The fastest of three: the first calls after the warm-up run can still be slow.
    let fastest = Infinity;
    for (let k = 0; k < 3; k++) {
      t0 = now();
      for (let c = 0; c < callsPerSample; c++) await callOnce();
      fastest = Math.min(fastest, now() - t0);
    }
    if (fastest >= MIN_SAMPLE_MS || callsPerSample >= MAX_CALLS_PER_SAMPLE) break;
    // Aim a little past the minimum, in one step when the estimate allows it.
    const want = fastest > 0 ? Math.ceil((callsPerSample * MIN_SAMPLE_MS * 1.5) / fastest) : callsPerSample * 8;
    callsPerSample = Math.min(MAX_CALLS_PER_SAMPLE, Math.max(callsPerSample * 2, want));
  }
  let samples: number[] = [];
  let sampleMs = 0;
  // A busy machine can make the calibration look slower than the samples: take more calls
  // per sample (at most twice more) while the median sample stays under the minimum.
  for (let round = 0; round < 3; round++) {
    samples = [];
    const deadline = now() + 1500;
    for (let i = 0; i < 9 && (i < 3 || now() < deadline); i++) {
      t0 = now();
      for (let c = 0; c < callsPerSample; c++) await callOnce();
      samples.push(now() - t0);
    }
    samples.sort((a, b) => a - b);
    sampleMs = samples[Math.floor(samples.length / 2)];
    if (sampleMs >= MIN_SAMPLE_MS || callsPerSample >= MAX_CALLS_PER_SAMPLE || round === 2) break;
    callsPerSample = Math.min(MAX_CALLS_PER_SAMPLE, Math.ceil((callsPerSample * MIN_SAMPLE_MS * 1.5) / Math.max(sampleMs, 1e-3)));
  }
  return { medianMs: sampleMs / callsPerSample, samples: samples.length, callsPerSample, sampleMs };
}
