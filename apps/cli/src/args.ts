/**
 * Flag parsing on top of `node:util`'s `parseArgs`, plus the value parsers every command
 * shares. A bad flag or value throws {@link UsageError}, which the entry point turns into
 * a one-line message on stderr and exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from './suggest.js';

/**
 * A mistake in how the command was called (exit code 2): an unknown command, flag or value,
 * or an input file that is missing or unreadable as given.
 */
export class UsageError extends Error {
  /** The command whose usage was wrong, for the "see --help" hint. */
  readonly command: string | undefined;
  /** Machine-readable code of the `--json` error document: `E_USAGE`, or `E_INPUT` for a bad input file. */
  readonly code: 'E_USAGE' | 'E_INPUT';
  constructor(message: string, command?: string, code: 'E_USAGE' | 'E_INPUT' = 'E_USAGE') {
    super(message);
    this.name = 'UsageError';
    this.command = command;
    this.code = code;
  }
}

/** A failure of the work itself (exit code 1) whose message is already user-facing. */
export class CliFailure extends Error {
  /** Machine-readable code of the `--json` error document. */
  readonly code: string;
  constructor(message: string, code = 'E_FAILED') {
    super(message);
    this.name = 'CliFailure';
    this.code = code;
  }
}

/** One flag of a command. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in `--help`. */
  help: string;
  /** Placeholder in `--help`, e.g. `N` or `LIST`. */
  value?: string;
  /** Shown as "(default ...)" in `--help`; not applied by the parser. */
  defaultText?: string;
  /** `--no-<name>` is accepted (booleans only). */
  negatable?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** Flags every command accepts. */
export const COMMON_FLAGS: FlagSpecs = {
  backend: {
    type: 'string',
    short: 'b',
    value: 'NAME',
    help: 'auto | cpu | wasm | webgpu | an installed @llama-ops/backend-NAME (or env LLAMA_OPS_BACKEND)',
    defaultText: 'auto',
  },
  json: { type: 'boolean', help: 'print only machine-readable JSON on stdout' },
  color: { type: 'boolean', negatable: true, help: 'colour output (default: on a TTY unless NO_COLOR is set)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Parse `argv` against `specs` (plus {@link COMMON_FLAGS}); positionals are returned too. */
export function parseFlags(
  command: string,
  argv: readonly string[],
  specs: FlagSpecs,
): { values: ParsedValues; positionals: string[] } {
  const all = { ...COMMON_FLAGS, ...specs };
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(all)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
    for (const [name, v] of Object.entries(values)) {
      const spec = all[name];
      if (spec?.type === 'boolean' && v === false && !spec.negatable) {
        throw new UsageError(`unknown option '--no-${name}'`, command);
      }
    }
    return { values: values as ParsedValues, positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      let message = cleanParseArgsMessage(e.message);
      const unknown = /^unknown option '(--?[^'=]+)'/.exec(message)?.[1];
      if (unknown !== undefined) message += didYouMean(unknown, flagNames(all));
      throw new UsageError(message, command);
    }
    throw err;
  }
}

/** Every spelling of every flag (`--name`, `--no-name` when negatable, `-x`). */
function flagNames(specs: FlagSpecs): string[] {
  return Object.entries(specs).flatMap(([name, spec]) => [
    `--${name}`,
    ...(spec.negatable ? [`--no-${name}`] : []),
    ...(spec.short ? [`-${spec.short}`] : []),
  ]);
}

/** parseArgs' messages mention "parseArgs" and the strict setting; users need neither. */
function cleanParseArgsMessage(msg: string): string {
  const first = msg.split('\n')[0];
  return first
    .replace(/\. To specify a positional argument starting with a '-'.*$/, '')
    .replace(/Unknown option/, 'unknown option')
    .replace(/^Option '(.*)' argument missing$/, "option '$1' needs a value")
    .replace(/^Option '(.*)' argument is ambiguous.*$/, "option '$1' needs a value");
}

/** A string flag's value, or undefined. */
export function str(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string flag's values. */
export function strList(values: ParsedValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A boolean flag: true, false (`--no-x`) or undefined (not given). */
export function bool(values: ParsedValues, name: string): boolean | undefined {
  const v = values[name];
  return typeof v === 'boolean' ? v : undefined;
}

/** Parse one number; `what` names the flag in the error. */
export function parseNumber(text: string, what: string, opts: { integer?: boolean; min?: number; max?: number; positive?: boolean } = {}): number {
  const t = text.trim();
  const n = /^[-+]?inf(inity)?$/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
  if (t === '' || Number.isNaN(n)) throw new UsageError(`${what}: expected a number, got '${text}'`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`${what}: expected an integer, got '${text}'`);
  if (opts.positive && !(n > 0)) throw new UsageError(`${what}: expected a positive number, got '${text}'`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`${what}: expected at least ${opts.min}, got '${text}'`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`${what}: expected at most ${opts.max}, got '${text}'`);
  return n;
}

/** A number flag's value, `fallback` when absent. */
export function num(values: ParsedValues, name: string, fallback: number, opts?: Parameters<typeof parseNumber>[2]): number;
export function num(values: ParsedValues, name: string, fallback?: undefined, opts?: Parameters<typeof parseNumber>[2]): number | undefined;
export function num(values: ParsedValues, name: string, fallback?: number, opts?: Parameters<typeof parseNumber>[2]): number | undefined {
  const s = str(values, name);
  return s === undefined ? fallback : parseNumber(s, `--${name}`, opts);
}

/** A comma- (or x-) separated list of numbers, e.g. `1,16,32,128` or `4x4096`. */
export function parseNumberList(text: string, what: string, opts: Parameters<typeof parseNumber>[2] = {}): number[] {
  const parts = text.split(/[,x×\s]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(`${what}: expected a comma-separated list of numbers, got '${text}'`);
  return parts.map((p) => parseNumber(p, what, opts));
}

/** A shape flag: positive integers. */
export function parseShape(text: string, what: string, rank?: number): number[] {
  const shape = parseNumberList(text, what, { integer: true, min: 1 });
  if (rank !== undefined && shape.length !== rank) {
    throw new UsageError(`${what}: expected ${rank} dimensions, got ${shape.length} ('${text}')`);
  }
  return shape;
}

/** `name=value` pairs of a repeatable flag (e.g. `--input q=q.npy`). */
export function parsePairs(items: readonly string[], what: string, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new UsageError(`${what}: expected NAME=FILE, got '${item}' (names: ${allowed.join(', ')})`);
    }
    const name = item.slice(0, eq);
    if (!allowed.includes(name)) {
      throw new UsageError(`${what}: unknown name '${name}' (expected one of ${allowed.join(', ')})`);
    }
    out.set(name, item.slice(eq + 1));
  }
  return out;
}

/** Commands without positional arguments reject stray words (a typo of a flag, usually). */
export function requireNoPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, command);
}
