/**
 * `llama-ops run`'s host inputs: read from `.npy` files or seeded random, and the shape of
 * an op prepared to run on them.
 */
import { existsSync, statSync } from 'node:fs';
import { fromFloat16Array, toFloat16Array, type DType, type Tensor } from '@llama-ops/core';
import { UsageError } from '../../args.js';
import type { CheckResult } from '../../check.js';
import { fmtShape } from '../../format.js';
import { NpyError, readNpy, type NpyArray } from '../../npy.js';
import { normal, rng, subSeed } from '../../random.js';
import type { Conformance } from '../../reference.js';
import type { RunOp } from './flags.js';

/** A host array: float32 values and a shape. */
export interface HostArray {
  data: Float32Array;
  shape: number[];
}

/** An op ready to run: its host inputs, how to run it, its reference and its checks. */
export interface PreparedOp {
  op: RunOp;
  /** The resolved parameters, for the summary and JSON. */
  params: Record<string, unknown>;
  inputs: Map<string, HostArray>;
  /** Inputs as uploaded tensors -> outputs. */
  execute(t: Map<string, Tensor>): Record<string, Tensor>;
  /** Names of inputs the op overwrites (re-uploaded before each timed run). */
  consumed: string[];
  /** Compare each output with the float64 reference on the same (stored) inputs. */
  check(k: Conformance, outputs: Record<string, Float32Array>, dtype: DType): Record<string, CheckResult>;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Inputs from files where given, seeded random otherwise. */
export class InputSource {
  readonly files: Map<string, string>;
  readonly seed: number;
  constructor(files: Map<string, string>, seed: number) {
    this.files = files;
    this.seed = seed;
  }
  has(name: string): boolean {
    return this.files.has(name);
  }
  file(name: string): HostArray | undefined {
    const path = this.files.get(name);
    if (path === undefined) return undefined;
    // A missing file and one that is not a .npy are the same kind of mistake: a bad
    // --input value (exit 2), named by the flag.
    const where = `--input ${name}=${path}`;
    if (!existsSync(path)) throw new UsageError(`${where}: no such file`, 'run', 'E_INPUT');
    if (statSync(path).isDirectory()) throw new UsageError(`${where}: is a directory, expected a .npy file`, 'run', 'E_INPUT');
    let npy: NpyArray;
    try {
      npy = readNpy(path);
    } catch (err) {
      const reason = err instanceof NpyError ? err.message.replace(`${path}: `, '') : (err as Error).message;
      throw new UsageError(`${where}: ${reason}`, 'run', 'E_INPUT');
    }
    return { data: Float32Array.from(npy.data), shape: npy.shape.length ? npy.shape : [1] };
  }
  /** The file's array (its shape must have `rank` dims), or random normal values of `shape`. */
  get(name: string, shape: number[], scale = 1, offset = 0, rank?: number): HostArray {
    const f = this.file(name);
    if (f) {
      if (rank !== undefined && f.shape.length !== rank) {
        throw new UsageError(`--input ${name}: expected a ${rank}-D array, got shape ${fmtShape(f.shape)}`, 'run', 'E_INPUT');
      }
      return f;
    }
    return { data: normal(rng(subSeed(this.seed, name)), size(shape), scale, offset), shape };
  }
}

/** Round host inputs to f16 so the reference sees exactly what the backend stores. */
export function roundToF16(a: HostArray): HostArray {
  return { data: fromFloat16Array(toFloat16Array(a.data)), shape: a.shape };
}
