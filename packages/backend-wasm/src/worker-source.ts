/**
 * Source of a pool worker, as a string: it becomes a Blob URL Web Worker in browsers and
 * an `eval` worker_thread in Node, so nothing has to be resolved next to the bundle.
 *
 * Protocol (a control block of Int32 words in the shared wasm memory):
 * - GEN is a seqlock: odd while the caller writes a job's fields (OP, PARAMS, UNITS,
 *   CHUNK), even once they are complete; a worker waits for a new even value (spinning
 *   briefly, then `Atomics.wait`) and re-checks GEN after reading the fields.
 * - Units are taken from TICKET, a 64-bit word holding (generation << 32 | next unit),
 *   by compare-and-swap: a worker can only take units of the job whose fields it read,
 *   so a worker that wakes late (a busy machine) finds its job finished and takes none.
 * - COMPLETED counts finished units; the caller returns once it reaches UNITS. It never
 *   waits for a worker that holds no unit, so one descheduled worker cannot stall a job.
 */
export const CTRL_GEN = 0;
export const CTRL_OP = 1;
export const CTRL_PARAMS = 2;
export const CTRL_UNITS = 3;
export const CTRL_CHUNK = 4;
export const CTRL_ERROR = 5;
/** Counters written by all threads sit on their own cache lines. */
export const CTRL_COMPLETED = 16;
/** Index of the 64-bit ticket in a BigUint64Array over the block (byte 128). */
export const CTRL_TICKET64 = 16;
export const CTRL_WORDS = 48;

/**
 * Take the next chunk of the job tagged `tag` (its generation): the first unit, or -1
 * when the job has no unit left or is no longer the current one. Used by the caller; the
 * workers run the same function written out in {@link WORKER_SOURCE} (keep the two alike).
 */
export function take(ticket: BigUint64Array, tag: bigint, units: number, chunk: number): number {
  for (;;) {
    const t = Atomics.load(ticket, CTRL_TICKET64);
    if (t >> 32n !== tag) return -1;
    const u = Number(t & 0xffffffffn);
    if (u >= units) return -1;
    if (Atomics.compareExchange(ticket, CTRL_TICKET64, t, t + BigInt(chunk)) === t) return u;
  }
}

export const WORKER_SOURCE = `'use strict';
const GEN = ${CTRL_GEN}, OP = ${CTRL_OP}, PARAMS = ${CTRL_PARAMS}, UNITS = ${CTRL_UNITS}, CHUNK = ${CTRL_CHUNK};
const ERROR = ${CTRL_ERROR}, COMPLETED = ${CTRL_COMPLETED};
const CTRL_TICKET64 = ${CTRL_TICKET64};
// take() again, as text: the source of the function above cannot be used (a minifier renames
// it and the constants it reads, so a bundled page's workers failed with "take is not defined").
function take(ticket, tag, units, chunk) {
  for (;;) {
    const t = Atomics.load(ticket, CTRL_TICKET64);
    if (t >> 32n !== tag) return -1;
    const u = Number(t & 0xffffffffn);
    if (u >= units) return -1;
    if (Atomics.compareExchange(ticket, CTRL_TICKET64, t, t + BigInt(chunk)) === t) return u;
  }
}
function serve(data, post) {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const fns = data.names.map((n) => instance.exports[n]);
  const ctrl = new Int32Array(data.memory.buffer, data.ctrl, ${CTRL_WORDS});
  const ticket = new BigUint64Array(data.memory.buffer, data.ctrl, ${CTRL_WORDS / 2});
  const thread = data.thread, spin = data.spin;
  let seen = Atomics.load(ctrl, GEN);
  post('ready');
  for (;;) {
    let g;
    for (let spins = 0; ; spins++) {
      g = Atomics.load(ctrl, GEN);
      if (g !== seen && (g & 1) === 0) break;
      if (spins >= spin) { Atomics.wait(ctrl, GEN, g); spins = 0; }
    }
    const op = ctrl[OP], params = ctrl[PARAMS] >>> 0, units = ctrl[UNITS], chunk = ctrl[CHUNK];
    if (Atomics.load(ctrl, GEN) !== g) continue; // the fields changed while we read them
    seen = g;
    if (op < 0) return;
    const fn = fns[op], tag = BigInt(g >>> 0);
    for (let u; (u = take(ticket, tag, units, chunk)) >= 0; ) {
      const end = Math.min(u + chunk, units);
      try { fn(params, u, end, thread); } catch (e) { Atomics.store(ctrl, ERROR, 1); }
      if (Atomics.add(ctrl, COMPLETED, end - u) + (end - u) >= units) Atomics.notify(ctrl, COMPLETED);
    }
  }
}
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (data) => serve(data, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (e) => { self.onmessage = null; serve(e.data, (m) => self.postMessage(m)); };
}
`;
