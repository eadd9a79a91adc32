/**
 * `llama-ops`: run, verify, benchmark and demo the llama-ops ops on any backend.
 *
 * Exit codes: 0 success, 1 failure (a check failed, a backend is unavailable, an error),
 * 2 usage error (unknown command or flag, bad value, an input file missing or not a .npy).
 * Errors go to stderr; with `--json` stdout holds only the JSON result, or on failure one
 * JSON error document `{ "error": { "code", "message" } }`.
 */
import { LlamaOpsError } from '@llama-ops/core';
import pkg from '../package.json';
import { colourEnabled, makePaint } from './ansi.js';
import { CliFailure, UsageError } from './args.js';
import { BackendChoiceError } from './backends.js';
import { backendsCommand } from './commands/backends.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { runCommand } from './commands/run.js';
import { verifyCommand } from './commands/verify.js';
import { NpyError } from './npy.js';
import { didYouMean } from './suggest.js';

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  demo: { run: demoCommand, summary: 'run one Llama attention block token by token, checking every step' },
  backends: { run: backendsCommand, summary: 'list backends: installed, available (or why not), capabilities' },
  run: { run: runCommand, summary: 'run one op (rmsnorm, add-rmsnorm, rope, gqa) with every option as a flag' },
  verify: { run: verifyCommand, summary: 'run the conformance kit against a backend' },
  bench: { run: benchCommand, summary: 'benchmark the backends (and onnxruntime with --compare)' },
};

const MAIN_HELP = `Usage: llama-ops <command> [options]

RMSNorm, RoPE and grouped-query attention for JavaScript, with interchangeable
cpu, wasm and webgpu backends.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Every command takes --backend auto|cpu|wasm|webgpu|NAME (or env LLAMA_OPS_BACKEND;
NAME is any installed @llama-ops/backend-NAME), --json (machine-readable output only)
and --help.

Options:
  -h, --help     show this help (or 'llama-ops <command> --help')
  -v, --version  print the version

Examples:
  llama-ops demo
  llama-ops backends
  llama-ops run gqa --heads 32 --kv-heads 8 --head-dim 64 --seq-q 1 --seq-kv 512 --check
  llama-ops verify --backend wasm
  llama-ops bench --quick
`;

async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[1] : undefined;
    if (topic !== undefined) return commandNamed(topic).run(['--help']);
    process.stdout.write(MAIN_HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`expected a command before '${first}'${didYouMean(first, ['--help', '--version'])}`);
  return commandNamed(first).run(argv.slice(1));
}

function commandNamed(name: string): { run: Command } {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command '${name}'${didYouMean(name, Object.keys(COMMANDS))}`);
  return command;
}

/** What a failure is, for the message, the exit code and the `--json` error document. */
interface Failure {
  exitCode: 1 | 2;
  code: string;
  message: string;
  /** The usage hint line (usage errors only). */
  help?: string;
  /** Extra fields of the JSON document (e.g. the backends tried). */
  details?: Record<string, unknown>;
  stack?: string;
}

function classify(err: unknown): Failure {
  if (err instanceof UsageError) {
    return { exitCode: 2, code: err.code, message: err.message, help: err.command ? `llama-ops ${err.command} --help` : 'llama-ops --help' };
  }
  if (err instanceof BackendChoiceError) return { exitCode: 1, code: 'E_BACKEND_UNAVAILABLE', message: err.message, details: { attempts: err.attempts } };
  if (err instanceof CliFailure) return { exitCode: 1, code: err.code, message: err.message };
  if (err instanceof NpyError) return { exitCode: 1, code: 'E_NPY', message: err.message };
  if (err instanceof LlamaOpsError) return { exitCode: 1, code: err.code, message: err.message };
  const e = err as Error & { code?: string };
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    // A system error (EACCES, ENOSPC...) the commands did not turn into a sentence.
    return { exitCode: 1, code: 'E_IO', message: e.message, details: { errno: e.code } };
  }
  return { exitCode: 1, code: 'E_INTERNAL', message: `unexpected error: ${e?.message ?? String(err)}`, stack: e?.stack };
}

/** Report a failure on stderr (and as one JSON document on stdout under `--json`); returns the exit code. */
function report(err: unknown, json: boolean): number {
  const f = classify(err);
  const paint = makePaint(colourEnabled(process.stderr));
  const prefix = paint.red(paint.bold('llama-ops:'));
  process.stderr.write(`${prefix} ${f.message}\n`);
  if (f.help) process.stderr.write(`${paint.dim(`Run '${f.help}' for usage.`)}\n`);
  if (f.code === 'E_INTERNAL') {
    if (process.env.LLAMA_OPS_DEBUG) process.stderr.write(`${f.stack ?? ''}\n`);
    else process.stderr.write(`${paint.dim('Set LLAMA_OPS_DEBUG=1 for the stack trace.')}\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: f.code, message: f.message, exitCode: f.exitCode, ...f.details } }, null, 2)}\n`);
  return f.exitCode;
}

/** `--json` anywhere before a `--` terminator. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

const argv = process.argv.slice(2);
let code: number;
try {
  code = await main(argv);
} catch (err) {
  code = report(err, wantsJson(argv));
}
// Exit explicitly: a GPU backend's native handles may otherwise keep the process alive.
// Wait for stdout to drain first so piped output is never cut short.
process.stdout.write('', () => process.exit(code));
