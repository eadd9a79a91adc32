import { CapacityError, defineBackend, type Backend, type DType, type KernelBackend, type StorageRegion } from '../src/index.js';

/** A test double: storage is a Float32Array, kernels only record that they were called. */
export interface FakeBackend {
  backend: Backend;
  calls: string[];
  freed: number;
  /** Storages allocated and not yet freed. */
  readonly live: number;
  /** Parameters of every kernel call, in order. */
  params: Array<{ kernel: string; params: Record<string, unknown> }>;
}

export interface FakeBackendOptions {
  /** Declare `capabilities.views` (default false: core hands the kernels dense copies). */
  views?: boolean;
  /** Offer readInto/readSync/write/hostView (default false). */
  hostMemory?: boolean;
  /** Throw a CapacityError from allocate/upload once this many storages are live. */
  maxLive?: number;
  /** Make the named kernel throw (after core allocated its outputs). */
  failKernel?: 'rmsnorm' | 'rope' | 'gqa';
}

export function createFakeBackend(name = 'fake', dtypes: DType[] = ['f32'], options: FakeBackendOptions = {}): FakeBackend {
  const calls: string[] = [];
  const params: FakeBackend['params'] = [];
  const state = { freed: 0, live: 0 };
  const take = (size: number) => {
    if (options.maxLive !== undefined && state.live >= options.maxLive) {
      throw new CapacityError({ op: 'fake.alloc', argument: 'memory', expected: 'room', actual: `${state.live} live` });
    }
    state.live++;
    return new Float32Array(size);
  };
  const record = (kernel: string) => (p: object) => {
    calls.push(kernel);
    params.push({ kernel, params: p as Record<string, unknown> });
    if (options.failKernel === kernel) throw new CapacityError({ op: 'fake.table', argument: 'memory', expected: 'room', actual: 'none' });
  };
  const rows = (s: Float32Array, r: StorageRegion, into: Float32Array) => {
    for (let i = 0; i < r.rows; i++) into.set(s.subarray(r.offset + i * r.rowStride, r.offset + i * r.rowStride + r.rowSize), i * r.rowSize);
  };
  const kernels: KernelBackend<Float32Array> = {
    name,
    capabilities: { dtypes, views: options.views ?? false },
    upload: (data) => {
      const s = take(data.length);
      s.set(data);
      return s;
    },
    allocate: (size) => take(size),
    read: async (s) => s.slice(),
    free: () => {
      state.freed++;
      state.live--;
    },
    copy: (p) => {
      calls.push('copy');
      params.push({ kernel: 'copy', params: p as unknown as Record<string, unknown> });
      for (let r = 0; r < p.rows; r++) {
        const from = p.srcOffset + r * p.srcRowStride;
        p.dst.set(p.src.subarray(from, from + p.count), p.dstOffset + r * p.dstRowStride);
      }
    },
    rmsnorm: record('rmsnorm'),
    rope: record('rope'),
    gqa: record('gqa'),
  };
  if (options.hostMemory) {
    kernels.readInto = async (s, r, _d, into) => rows(s, r, into);
    kernels.readSync = (s, r, _d, into) => rows(s, r, into);
    kernels.write = (s, r, _d, data) => {
      for (let i = 0; i < r.rows; i++) s.set(data.subarray(i * r.rowSize, (i + 1) * r.rowSize), r.offset + i * r.rowStride);
    };
    kernels.hostView = (s, offset, size) => s.subarray(offset, offset + size);
  }
  const fake = {
    backend: defineBackend(kernels),
    calls,
    params,
    get freed() {
      return state.freed;
    },
    get live() {
      return state.live;
    },
  };
  return fake;
}
