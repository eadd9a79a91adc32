/**
 * `llama-ops`: run, verify, benchmark and demo the llama-ops ops on any backend.
 *
 * Exit codes: 0 success, 1 failure (a check failed, a backend is unavailable, an error),
 * 2 usage error (unknown command or flag, bad value). Errors go to stderr; with `--json`
 * stdout holds only the JSON result.
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

Every command takes --backend auto|cpu|wasm|webgpu (or env LLAMA_OPS_BACKEND),
--json (machine-readable output only) and --help.

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
    if (topic !== undefined) {
      if (!(topic in COMMANDS)) throw new UsageError(`unknown command '${topic}'`);
      return COMMANDS[topic].run(['--help']);
    }
    process.stdout.write(MAIN_HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`expected a command before '${first}'`);
  const command = COMMANDS[first];
  if (!command) {
    const near = Object.keys(COMMANDS).find((c) => c.startsWith(first.slice(0, 2)));
    throw new UsageError(`unknown command '${first}'${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  return command.run(argv.slice(1));
}

function report(err: unknown): number {
  const paint = makePaint(colourEnabled(process.stderr));
  const prefix = paint.red(paint.bold('llama-ops:'));
  if (err instanceof UsageError) {
    const help = err.command ? `llama-ops ${err.command} --help` : 'llama-ops --help';
    process.stderr.write(`${prefix} ${err.message}\n${paint.dim(`Run '${help}' for usage.`)}\n`);
    return 2;
  }
  if (err instanceof BackendChoiceError || err instanceof CliFailure || err instanceof NpyError) {
    process.stderr.write(`${prefix} ${err.message}\n`);
    return 1;
  }
  if (err instanceof LlamaOpsError) {
    process.stderr.write(`${prefix} ${err.message}\n`);
    return 1;
  }
  const e = err as Error & { code?: string };
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR') {
    process.stderr.write(`${prefix} ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`${prefix} unexpected error: ${e?.message ?? String(err)}\n`);
  if (process.env.LLAMA_OPS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write(`${paint.dim('Set LLAMA_OPS_DEBUG=1 for the stack trace.')}\n`);
  return 1;
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  code = report(err);
}
// Exit explicitly: a GPU backend's native handles may otherwise keep the process alive.
// Wait for stdout to drain first so piped output is never cut short.
process.stdout.write('', () => process.exit(code));
