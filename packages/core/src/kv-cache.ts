import type { Backend } from './backend.js';
import { CapacityError, DisposedError, ShapeError, ValueError } from './errors.js';
import type { DType } from './kernels.js';
import { checkNumber, checkOptions, checkSameBackendAndDType, checkTensor, formatShape } from './validation.js';
import type { Tensor } from './tensor.js';

/** Options of {@link createKVCache}. */
export interface KVCacheOptions {
  batch: number;
  /** Maximum number of positions the cache holds. */
  capacity: number;
  kvHeads: number;
  headDim: number;
  /** Value head dim (default `headDim`). */
  headDimV?: number;
  /** Storage dtype (default `'f32'`). */
  dtype?: DType;
}

/**
 * A preallocated key/value cache `[batch, capacity, kvHeads, headDim]` in backend memory.
 * {@link KVCache.append} copies new entries on the backend (no round trip through JS);
 * pass `cache.k`, `cache.v` and `{ kvLength: cache.length }` to `gqa`.
 */
export interface KVCache {
  /** Keys `[batch, capacity, kvHeads, headDim]`; only the first `length` positions are valid. */
  readonly k: Tensor;
  /** Values `[batch, capacity, kvHeads, headDimV]`. */
  readonly v: Tensor;
  /** Number of valid positions. */
  readonly length: number;
  readonly capacity: number;
  /**
   * Append `n` positions: `k [batch, n, kvHeads, headDim]`, `v [batch, n, kvHeads, headDimV]`,
   * copied on the backend. `k` and `v` may be views (e.g. of a packed QKV projection).
   * @throws CapacityError when `length + n > capacity`.
   */
  append(k: Tensor, v: Tensor): void;
  /** Forget every entry (length 0); memory is kept. */
  reset(): void;
  /** Free both tensors. */
  dispose(): void;
}

/**
 * Create a {@link KVCache} on `backend`.
 * @example
 * const cache = createKVCache(be, { batch: 1, capacity: 2048, kvHeads: 8, headDim: 64 });
 * cache.append(kNew, vNew);
 * const o = gqa(q, cache.k, cache.v, { kvLength: cache.length });
 * @throws ValueError for a misspelled option (naming the nearest known one) or a value that is not a positive integer.
 * @throws UnsupportedError when `options.dtype` is not in the backend's `capabilities.dtypes`.
 * @throws CapacityError (op `createKVCache`) when `k` or `v` does not fit; nothing stays allocated.
 */
export function createKVCache(backend: Backend, options: KVCacheOptions): KVCache {
  const op = 'createKVCache';
  if (options === null || typeof options !== 'object') {
    throw new ValueError({ op, argument: 'options', expected: '{ batch, capacity, kvHeads, headDim }', actual: String(options) });
  }
  checkOptions(op, options, ['batch', 'capacity', 'kvHeads', 'headDim', 'headDimV', 'dtype']);
  const int = (name: keyof KVCacheOptions) => checkNumber(op, `options.${name}`, options[name], { integer: true, min: 1 });
  const batch = int('batch');
  const capacity = int('capacity');
  const kvHeads = int('kvHeads');
  const headDim = int('headDim');
  const headDimV = options.headDimV === undefined ? headDim : int('headDimV');
  if (backend === null || typeof backend !== 'object' || typeof (backend as Partial<Backend>).allocate !== 'function') {
    throw new ValueError({ op, argument: 'backend', expected: 'a Backend', actual: backend === null ? 'null' : typeof backend });
  }
  if (backend.disposed) throw new DisposedError({ op, argument: 'backend', hint: `the ${backend.name} backend was disposed` });
  const dtype = backend.checkDType(op, options.dtype);
  const k = backend.allocate(op, [batch, capacity, kvHeads, headDim], dtype);
  let v: Tensor;
  try {
    v = backend.allocate(op, [batch, capacity, kvHeads, headDimV], dtype);
  } catch (e) {
    k.dispose(); // the caller never receives it: a failed createKVCache strands no memory
    throw e;
  }
  let length = 0;
  let disposed = false;

  return {
    k,
    v,
    capacity,
    get length() {
      return length;
    },
    append(kNew: Tensor, vNew: Tensor): void {
      const aop = 'kvCache.append';
      if (disposed) throw new DisposedError({ op: aop, argument: 'cache', hint: 'the cache was disposed' });
      checkTensor(aop, 'k', kNew, 4);
      checkTensor(aop, 'v', vNew, 4);
      const n = kNew.shape[1];
      const expectK = [batch, n, kvHeads, headDim];
      const expectV = [batch, n, kvHeads, headDimV];
      if (kNew.shape.some((d, i) => d !== expectK[i])) {
        throw new ShapeError({ op: aop, argument: 'k', expected: formatShape(expectK), actual: formatShape(kNew.shape) });
      }
      if (vNew.shape.some((d, i) => d !== expectV[i])) {
        throw new ShapeError({ op: aop, argument: 'v', expected: formatShape(expectV), actual: formatShape(vNew.shape) });
      }
      checkSameBackendAndDType(aop, [
        ['cache.k', k],
        ['k', kNew],
        ['v', vNew],
      ]);
      if (length + n > capacity) {
        throw new CapacityError({
          op: aop,
          argument: 'k',
          expected: `at most ${capacity - length} new positions (capacity ${capacity}, length ${length})`,
          actual: `${n}`,
        });
      }
      const kRow = kvHeads * headDim;
      const vRow = kvHeads * headDimV;
      for (let b = 0; b < batch; b++) {
        backend.copyRegion(kNew.storage, kNew.offset + b * n * kNew.rowStride, kNew.rowStride, k.storage, (b * capacity + length) * kRow, kRow, n, kRow, k.dtype);
        backend.copyRegion(vNew.storage, vNew.offset + b * n * vNew.rowStride, vNew.rowStride, v.storage, (b * capacity + length) * vRow, vRow, n, vRow, v.dtype);
      }
      length += n;
    },
    reset(): void {
      length = 0;
    },
    dispose(): void {
      disposed = true;
      k.dispose();
      v.dispose();
    },
  };
}
