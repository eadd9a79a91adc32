/** Run a prepared op on a backend: upload, warm-up and timed runs, read back, `--out`, `--check`. */
import { LlamaOpsError, type Backend, type DType, type Tensor } from '@llama-ops/core';
import { UsageError } from '../../args.js';
import type { CheckResult } from '../../check.js';
import { writeOutput } from '../../files.js';
import { median, summarise, type ArraySummary } from '../../format.js';
import { encodeNpy } from '../../npy.js';
import { conformance } from '../../reference.js';
import { inFlagTerms } from './args.js';
import type { RunOp } from './flags.js';
import type { PreparedOp } from './inputs.js';

export interface RunResult {
  op: RunOp;
  backend: string;
  dtype: DType;
  params: Record<string, unknown>;
  outputs: Record<string, ArraySummary & { file?: string }>;
  time: { firstMs: number; medianMs: number; runs: number };
  check?: Record<string, CheckResult>;
  pass?: boolean;
}

export async function execute(
  p: PreparedOp,
  backend: Backend,
  dtype: DType,
  repeat: number,
  outFiles: Map<string, string>,
  check: boolean,
): Promise<RunResult> {
  const upload = (name: string) => {
    const a = p.inputs.get(name)!;
    return backend.tensor(a.data, a.shape, { dtype });
  };
  const tensors = new Map<string, Tensor>();
  let outputs: Record<string, Tensor> = {};
  const times: number[] = [];
  try {
    for (const name of p.inputs.keys()) tensors.set(name, upload(name));
    for (let run = 0; run <= repeat; run++) {
      for (const name of p.consumed) {
        if (run > 0) {
          tensors.get(name)!.dispose();
          tensors.set(name, upload(name));
        }
      }
      await backend.sync();
      for (const t of Object.values(outputs)) if (!p.consumed.some((c) => tensors.get(c) === t)) t.dispose();
      const t0 = performance.now();
      outputs = p.execute(tensors);
      await backend.sync();
      times.push(performance.now() - t0);
    }
  } catch (err) {
    // Bad option values surface as core's typed validation errors: a usage problem.
    if (err instanceof LlamaOpsError && ['E_SHAPE', 'E_VALUE', 'E_DTYPE', 'E_UNSUPPORTED', 'E_CAPACITY'].includes(err.code)) {
      throw new UsageError(inFlagTerms(err.message), 'run');
    }
    throw err;
  }

  const result: RunResult = {
    op: p.op,
    backend: backend.name,
    dtype,
    params: p.params,
    outputs: {},
    time: { firstMs: times[0], medianMs: times.length > 1 ? median(times.slice(1)) : times[0], runs: times.length - 1 },
  };
  const read: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(outputs)) {
    read[name] = await t.read();
    const file = outFiles.get(name);
    if (file) writeOutput('--out', file, encodeNpy(read[name], t.shape));
    result.outputs[name] = { ...summarise(read[name], t.shape), ...(file ? { file } : {}) };
  }
  if (check) {
    result.check = p.check(await conformance(), read, dtype);
    result.pass = Object.values(result.check).every((c) => c.pass);
  }
  for (const t of new Set([...tensors.values(), ...Object.values(outputs)])) t.dispose();
  return result;
}
