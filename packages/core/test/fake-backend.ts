import { defineBackend, type Backend, type DType, type KernelBackend } from '../src/index.js';

/** A test double: storage is a Float32Array, kernels only record that they were called. */
export interface FakeBackend {
  backend: Backend;
  calls: string[];
  freed: number;
}

export function createFakeBackend(name = 'fake', dtypes: DType[] = ['f32']): FakeBackend {
  const calls: string[] = [];
  const state = { freed: 0 };
  const kernels: KernelBackend<Float32Array> = {
    name,
    capabilities: { dtypes },
    upload: (data) => data.slice(),
    allocate: (size) => new Float32Array(size),
    read: async (s) => s.slice(),
    free: () => {
      state.freed++;
    },
    copy: (p) => {
      calls.push('copy');
      p.dst.set(p.src.subarray(p.srcOffset, p.srcOffset + p.count), p.dstOffset);
    },
    rmsnorm: () => void calls.push('rmsnorm'),
    rope: () => void calls.push('rope'),
    gqa: () => void calls.push('gqa'),
  };
  const fake = {
    backend: defineBackend(kernels),
    calls,
    get freed() {
      return state.freed;
    },
  };
  return fake;
}
