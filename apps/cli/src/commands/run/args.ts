/**
 * `llama-ops run`'s argument checks: the op, flags that do not apply to it, RoPE scaling
 * flags without their type, `--out` files, and core's option names in flag terms.
 */
import { bool, parseFlags, str, UsageError, type ParsedValues } from '../../args.js';
import { didYouMean } from '../../suggest.js';
import { IO_FLAGS, OP_FLAGS, RUN_FLAGS, RUN_OPS, SCALING_FLAGS, SCALING_PARAMS, type RunOp } from './flags.js';

/** Refuse a scaling type that does not exist, and scaling flags its type does not take. */
function checkScalingFlags(values: ParsedValues): void {
  const type = str(values, 'rope-scaling');
  if (type !== undefined && !Object.hasOwn(SCALING_PARAMS, type)) {
    throw new UsageError(`--rope-scaling: unknown type '${type}'${didYouMean(type, Object.keys(SCALING_PARAMS))} (expected default, linear, dynamic, llama3, yarn or longrope)`, 'run');
  }
  // A scaling parameter without the scaling type it belongs to would be silently ignored.
  for (const name of Object.keys(SCALING_FLAGS)) {
    if (name === 'rope-scaling' || values[name] === undefined) continue;
    const takers = Object.keys(SCALING_PARAMS).filter((t) => SCALING_PARAMS[t].includes(name));
    if (type === undefined) {
      throw new UsageError(`--${name} applies only with --rope-scaling ${takers.join('|')}`, 'run');
    }
    if (!SCALING_PARAMS[type].includes(name)) {
      throw new UsageError(`--${name} does not apply to --rope-scaling ${type} (it is a parameter of ${takers.join(', ')})`, 'run');
    }
  }
}

/**
 * Parse `llama-ops run` arguments and refuse, before anything runs, every flag that does
 * not apply: to the op, to gqa's shapes, or to the RoPE scaling type. Exported for the test
 * that checks every example in the READMEs and help texts.
 */
export function parseRunArgs(argv: readonly string[]): { op: RunOp | undefined; values: ParsedValues; help: boolean } {
  const { values, positionals } = parseFlags('run', argv, RUN_FLAGS);
  if (bool(values, 'help')) return { op: undefined, values, help: true };
  const op = positionals[0] as RunOp | undefined;
  if (op === undefined) throw new UsageError(`missing the op to run (one of ${RUN_OPS.join(', ')})`, 'run');
  if (!RUN_OPS.includes(op)) throw new UsageError(`unknown op '${op}'${didYouMean(op, RUN_OPS)} (expected one of ${RUN_OPS.join(', ')})`, 'run');
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, 'run');
  for (const name of Object.keys(values)) {
    const opSpecific = !(name in IO_FLAGS) && name in RUN_FLAGS;
    if (opSpecific && !OP_FLAGS[op].includes(name)) throw new UsageError(`option --${name} does not apply to ${op}`, 'run');
  }
  if (op === 'gqa' && values.shape !== undefined) {
    throw new UsageError('option --shape does not apply to gqa (its shapes come from --batch, --heads, --kv-heads, --head-dim, --seq-q and --seq-kv)', 'run');
  }
  if (op === 'rope') checkScalingFlags(values);
  return { op, values, help: false };
}

/** Core's messages name API options (`options.kvLength`); the user typed flags (`--kv-length`). */
export function inFlagTerms(message: string): string {
  return message.replace(/\boptions\.([a-zA-Z]+)\b/g, (whole, name: string) => {
    const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return flag in RUN_FLAGS ? `--${flag}` : whole;
  });
}

export function parseOutFiles(items: readonly string[], outputs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : outputs[0];
    if (eq > 0 && !outputs.includes(name)) {
      // A path that merely contains '=' is still a path when the prefix is no output name.
      out.set(outputs[0], item);
      continue;
    }
    const path = eq > 0 ? item.slice(eq + 1) : item;
    if (path === '') throw new UsageError(`--out: empty file name in '${item}'`, 'run');
    out.set(name, path);
  }
  return out;
}
