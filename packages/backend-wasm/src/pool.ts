/**
 * The worker pool: `workers` threads (worker_threads in Node, Web Workers in browsers)
 * that share the wasm memory and each hold their own instance of the shared-memory
 * module. The calling thread works too, as thread 0, so a job on a pool of N workers
 * runs on N + 1 threads and `run` returns once all of them are done: kernels stay
 * synchronous, as core calls them.
 *
 * Waiting: Node's main thread and workers block with `Atomics.wait`; a browser main
 * thread may not, so it spins on the completed counter (jobs are milliseconds long and
 * the pool is used only where the work outweighs the ~26 µs wake-up). The protocol is
 * described in worker-source.ts.
 */
import {
  CTRL_CHUNK,
  CTRL_COMPLETED,
  CTRL_ERROR,
  CTRL_GEN,
  CTRL_OP,
  CTRL_PARAMS,
  CTRL_TICKET64,
  CTRL_UNITS,
  CTRL_WORDS,
  take,
  WORKER_SOURCE,
} from './worker-source.js';

/**
 * Iterations a worker spins on the generation word before it blocks (~10 µs): enough for
 * back-to-back kernels, short enough not to steal a busy machine's cores between them.
 */
const WORKER_SPIN = 1 << 12;
/** Iterations the calling thread spins on the completed counter before it blocks. */
const CALLER_SPIN = 1 << 10;

type KernelFn = (params: number, start: number, end: number, thread: number) => void;

interface PoolWorker {
  terminate(): unknown;
}

/** Whether this thread may block in `Atomics.wait` (false on a browser main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

async function spawn(count: number, init: (thread: number) => object): Promise<PoolWorker[]> {
  const workers: PoolWorker[] = [];
  const ready: Promise<void>[] = [];
  try {
    if (typeof Worker === 'function') {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      try {
        for (let t = 1; t <= count; t++) {
          const w = new Worker(url);
          workers.push(w);
          ready.push(
            new Promise((resolve, reject) => {
              w.onmessage = () => resolve();
              w.onerror = (e) => reject(new Error(`wasm worker failed to start: ${e.message}`));
            }),
          );
          w.postMessage(init(t));
        }
        await Promise.all(ready);
      } finally {
        URL.revokeObjectURL(url);
      }
      return workers;
    }
    const specifier = 'node:worker_threads';
    const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    for (let t = 1; t <= count; t++) {
      const w = new NodeWorker(WORKER_SOURCE, { eval: true });
      w.unref(); // an idle pool never keeps a Node process alive
      workers.push(w);
      ready.push(
        new Promise((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
      w.postMessage(init(t));
    }
    await Promise.all(ready);
    return workers;
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
}

export class ThreadPool {
  /** Threads a job runs on: the workers plus the calling thread. */
  readonly threads: number;
  readonly #workers: PoolWorker[];
  readonly #ctrl: Int32Array;
  readonly #ticket: BigUint64Array;
  readonly #canBlock: boolean;
  readonly #fns: readonly KernelFn[];

  private constructor(workers: PoolWorker[], ctrl: Int32Array, fns: readonly KernelFn[]) {
    this.#workers = workers;
    this.#ctrl = ctrl;
    this.#ticket = new BigUint64Array(ctrl.buffer, ctrl.byteOffset, CTRL_WORDS / 2);
    this.#fns = fns;
    this.threads = workers.length + 1;
    this.#canBlock = canBlock();
  }

  /**
   * Start `workers` workers on `memory` (shared), each instantiating `module`.
   * @param ctrl - byte offset of {@link CTRL_WORDS} Int32 words reserved for the pool.
   * @param names - kernel export names; a job's `op` indexes this list.
   * @param fns - the calling thread's own kernel functions, in the same order.
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    ctrl: number,
    workers: number,
    names: readonly string[],
    fns: readonly KernelFn[],
  ): Promise<ThreadPool> {
    const view = new Int32Array(memory.buffer, ctrl, CTRL_WORDS);
    view.fill(0);
    const list = await spawn(workers, (thread) => ({ module, memory, ctrl, thread, names, spin: WORKER_SPIN }));
    return new ThreadPool(list, view, fns);
  }

  /**
   * Run kernel `op` over units `[0, units)`, `chunk` units per grab, on every thread;
   * returns when all units are done.
   */
  run(op: number, params: number, units: number, chunk: number): void {
    const c = this.#ctrl;
    const g = (this.#publish(op, params, units, chunk) >>> 0) as number;
    const tag = BigInt(g);
    const fn = this.#fns[op];
    let failure: unknown = null;
    for (let u: number; (u = take(this.#ticket, tag, units, chunk)) >= 0; ) {
      const end = Math.min(u + chunk, units);
      try {
        if (failure === null) fn(params, u, end, 0);
      } catch (e) {
        failure = e;
      }
      Atomics.add(c, CTRL_COMPLETED, end - u);
    }
    for (let spins = 0; ; spins++) {
      const completed = Atomics.load(c, CTRL_COMPLETED);
      if (completed >= units) break;
      if (this.#canBlock && spins >= CALLER_SPIN) Atomics.wait(c, CTRL_COMPLETED, completed, 1000);
    }
    if (failure) throw failure;
    if (c[CTRL_ERROR]) throw new Error('a wasm worker failed while running a kernel');
  }

  /** Write a job under the GEN seqlock and wake the workers; returns its generation. */
  #publish(op: number, params: number, units: number, chunk: number): number {
    const c = this.#ctrl;
    const g0 = Atomics.load(c, CTRL_GEN);
    Atomics.store(c, CTRL_GEN, g0 + 1); // odd: fields being written
    c[CTRL_OP] = op;
    c[CTRL_PARAMS] = params | 0;
    c[CTRL_UNITS] = units;
    c[CTRL_CHUNK] = chunk;
    c[CTRL_ERROR] = 0;
    Atomics.store(c, CTRL_COMPLETED, 0);
    const g = (g0 + 2) | 0;
    Atomics.store(this.#ticket, CTRL_TICKET64, BigInt(g >>> 0) << 32n);
    Atomics.store(c, CTRL_GEN, g); // even: published
    Atomics.notify(c, CTRL_GEN);
    return g;
  }

  /** Stop the workers (they exit their loop, then are terminated). */
  dispose(): void {
    this.#publish(-1, 0, 0, 1);
    for (const w of this.#workers) void w.terminate();
    this.#workers.length = 0;
  }
}
