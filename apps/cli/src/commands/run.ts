/**
 * `llama-ops run <rmsnorm|add-rmsnorm|rope|gqa>`: run one op with every SPEC option as a
 * flag, on seeded random inputs or `.npy` files, write the output as `.npy`, summarise it,
 * and (with `--check`) compare it with the float64 reference.
 */
import type { DType } from '@llama-ops/core';
import { bool, num, parsePairs, str, strList, UsageError } from '../args.js';
import { chooseBackend } from '../backends.js';
import { makeContext } from '../context.js';
import { checkWritable } from '../files.js';
import { parseOutFiles, parseRunArgs } from './run/args.js';
import { execute } from './run/execute.js';
import { OP_INPUTS, OP_OUTPUTS, RUN_HELP } from './run/flags.js';
import { prepareGqa } from './run/gqa.js';
import { InputSource, roundToF16, type PreparedOp } from './run/inputs.js';
import { printRun } from './run/output.js';
import { prepareRmsnorm } from './run/rmsnorm.js';
import { prepareRope } from './run/rope.js';

export { parseRunArgs } from './run/args.js';
export type { RunResult } from './run/execute.js';
export { RUN_FLAGS, RUN_HELP, RUN_OPS, type RunOp } from './run/flags.js';

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { op, values, help } = parseRunArgs(argv);
  if (help || op === undefined) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const ctx = makeContext(values);
  const dtype = (str(values, 'dtype') ?? 'f32') as DType;
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype: expected f32 or f16, got '${dtype}'`, 'run');
  const seed = num(values, 'seed', 1, { integer: true, min: 0 });
  const repeat = num(values, 'repeat', 5, { integer: true, min: 0, max: 100000 });
  const src = new InputSource(parsePairs(strList(values, 'input'), '--input', OP_INPUTS[op]), seed);
  const outFiles = parseOutFiles(strList(values, 'out'), OP_OUTPUTS[op]);
  for (const file of outFiles.values()) checkWritable('--out', file, 'run');

  let prepared: PreparedOp;
  if (op === 'rmsnorm' || op === 'add-rmsnorm') prepared = prepareRmsnorm(op, values, src);
  else if (op === 'rope') prepared = prepareRope(values, src);
  else prepared = prepareGqa(values, src);
  if (dtype === 'f16') for (const [name, a] of prepared.inputs) prepared.inputs.set(name, roundToF16(a));

  const chosen = await chooseBackend(str(values, 'backend'));
  const backend = chosen.backend;
  ctx.note(ctx.errPaint.dim(`backend: ${chosen.why}`));
  try {
    const dtypes = backend.capabilities.dtypes;
    if (!dtypes.includes(dtype)) {
      throw new UsageError(`--dtype ${dtype}: the ${backend.name} backend stores ${dtypes.join(' and ')} only (f16 storage: wasm; webgpu on adapters with shader-f16)`, 'run');
    }
    const result = await execute(prepared, backend, dtype, repeat, outFiles, bool(values, 'check') === true);
    if (ctx.json) ctx.emitJson(result);
    else printRun(ctx, result);
    return result.pass === false ? 1 : 0;
  } finally {
    backend.dispose();
  }
}
