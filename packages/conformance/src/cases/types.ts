/** The data model of a conformance case: plain inputs and the options passed to core's op. */
import type { RopeScaling } from '@llama-ops/core';
import type { CasePlacement } from '../placement.js';

export type { CasePlacement } from '../placement.js';

/** Which core op a case exercises. `kvcache` = `createKVCache` + `append` + `gqa` over steps. */
export type CaseOp = 'rmsnorm' | 'addRmsnorm' | 'rope' | 'gqa' | 'kvcache';

/** Storage dtype of every tensor of a case. */
export type CaseDType = 'f32' | 'f16';

/** `rmsnorm(x, weight, { eps, weightOffset, residual })`. */
export interface RmsnormCaseInputs {
  /** Where the runner puts the tensors (default `dense`); see `placement.ts`. */
  placement?: CasePlacement;
  op: 'rmsnorm';
  x: Float32Array;
  shape: number[];
  weight: Float32Array;
  residual?: Float32Array;
  options: { eps?: number; weightOffset?: number };
}

/** `addRmsnorm(x, residual, weight, options)`; both `y` and `sum` are checked. */
export interface AddRmsnormCaseInputs {
  /** Where the runner puts the tensors (default `dense`); see `placement.ts`. */
  placement?: CasePlacement;
  op: 'addRmsnorm';
  x: Float32Array;
  residual: Float32Array;
  shape: number[];
  weight: Float32Array;
  options: { eps?: number; weightOffset?: number };
}

/** `rope(x, options)` on `x [batch, seq, heads, headDim]`. */
export interface RopeCaseInputs {
  /** Where the runner puts the tensors (default `dense`); see `placement.ts`. */
  placement?: CasePlacement;
  op: 'rope';
  x: Float32Array;
  shape: [number, number, number, number];
  options: {
    positions?: number | Int32Array;
    theta?: number;
    rotaryDim?: number;
    interleaved?: boolean;
    scaling?: RopeScaling;
    inPlace?: boolean;
  };
}

/** `gqa(q, k, v, options)`; `mask`/`sinks` become tensors. */
export interface GqaCaseInputs {
  /** Where the runner puts the tensors (default `dense`); see `placement.ts`. */
  placement?: CasePlacement;
  op: 'gqa';
  q: Float32Array;
  qShape: [number, number, number, number];
  k: Float32Array;
  kShape: [number, number, number, number];
  v: Float32Array;
  vShape: [number, number, number, number];
  mask?: { data: Float32Array; shape: [number, number, number, number] };
  sinks?: Float32Array;
  options: {
    scale?: number;
    causal?: boolean;
    kvLength?: number | number[];
    queryOffset?: number | number[];
    window?: number;
    softcap?: number;
  };
}

/** One step of a KV-cache case: optional `reset()`, append `n` positions, then attend. */
export interface KvCacheStep {
  /** Call `cache.reset()` before appending (old entries stay in memory as garbage). */
  reset?: boolean;
  /** `[batch, n, kvHeads, headDim]` */
  k: Float32Array;
  /** `[batch, n, kvHeads, headDimV]` */
  v: Float32Array;
  n: number;
  /** `[batch, seqQ, headsQ, headDim]`, or null to only append (no attention this step). */
  q: Float32Array | null;
  seqQ: number;
}

/** `createKVCache(be, ...)`, then per step `append(k, v)` and `gqa(q, cache.k, cache.v, { kvLength: cache.length, ... })`. */
export interface KvCacheCaseInputs {
  /** Where the runner puts the tensors (default `dense`); see `placement.ts`. */
  placement?: CasePlacement;
  op: 'kvcache';
  batch: number;
  capacity: number;
  headsQ: number;
  kvHeads: number;
  headDim: number;
  headDimV: number;
  steps: KvCacheStep[];
  options: { scale?: number; window?: number; softcap?: number };
}

/** Inputs of any case. */
export type CaseInputs = RmsnormCaseInputs | AddRmsnormCaseInputs | RopeCaseInputs | GqaCaseInputs | KvCacheCaseInputs;

/** One conformance case: data, built lazily. */
export interface ConformanceCase {
  /** Unique, stable, readable: `op/group/detail`. */
  readonly id: string;
  readonly op: CaseOp;
  readonly dtype: CaseDType;
  /** The case group (README lists every group). */
  readonly group: string;
  /** What the case exercises and what it expects, in words. */
  readonly description: string;
  /** Build the inputs (deterministic: the same case always builds the same data). */
  build(): CaseInputs;
}
