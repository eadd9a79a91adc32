/** Command-line parsing of `llama-ops-bench` (kept apart from main.ts so it can be tested). */
import { defaultBackends } from './backends.js';
import { defaultPeers, KNOWN_PEERS } from './peers.js';
import type { PeerName } from './report.js';
import { BENCH_SIZES, type BenchSize } from './rows.js';

/** Parsed command line. */
export interface CliOptions {
  /** Row set (`default`, `gpu` or `long`). */
  size: BenchSize;
  /** Backends (default: those of the size). */
  backends: string[];
  /** Peers (default: those of the size). */
  peers: PeerName[];
  threads: number;
  filter: string[] | undefined;
  exclude: string[] | undefined;
  timeBudgetMs: number | undefined;
  /** Longest a contender may take on one row, ms. */
  rowTimeoutMs: number | undefined;
  /** Start no row after this many seconds. */
  deadlineSeconds: number | undefined;
  quick: boolean;
  json: boolean;
  out: string | undefined;
  note: string | undefined;
  list: boolean;
  /** Re-render a saved bench.json instead of running. */
  render: string | undefined;
  /** Combine the device kit's runs under this directory into one report. */
  combine: string | undefined;
  /** Print the WebGPU adapter the GPU rows would use, as JSON, and exit (1: none). */
  gpuInfo: boolean;
  help: boolean;
}

/** Usage text. */
export const USAGE = `llama-ops-bench: RMSNorm, RoPE and GQA on Llama shapes, our backends vs onnxruntime

Usage: llama-ops-bench [options]

  --size default|gpu|long
                      row set: Llama shapes in f32 (default), the sizes a GPU is for, in f32
                      and f16 (gpu; with --quick at reduced shapes), or long-context decode on
                      wasm at 1 and 2 threads against a read pass of the same bytes (long;
                      --quick: 256 and 1024 keys; --threads and peers do not apply)
  --backends LIST     backends to measure (default ${defaultBackends('default').join(',')}; --size gpu: ${defaultBackends('gpu').join(',')})
  --peers LIST        ORT peers, of ${KNOWN_PEERS.join(',')} (default ${defaultPeers('default').join(',')};
                      --size gpu: ${defaultPeers('gpu').join(',')}); --no-peers for none
  --threads N         threads for wasm and the CPU ORT peers (default 1)
  --filter LIST       rows whose id/op/group contains any item (e.g. rmsnorm,decode)
  --exclude LIST      leave out rows matching any item (after --filter)
  --time-budget MS    timed samples per row and contender (default 1500; --quick 20)
  --row-timeout MS    longest a contender may take on one row (default 120000)
  --deadline S        start no row after S seconds (its contenders: skipped, with the reason)
  --quick             tiny budget, fewest samples: proves everything runs
  --json              print only the JSON report
  --out DIR           write DIR/bench.json, bench.md and bench.svg
  --note TEXT         note about the machine stored in the report
  --list              list the rows and exit
  --render FILE       re-render a saved bench.json (markdown, or --json/--out) without running
  --combine DIR       combine the device kit's runs (DIR/gpu, DIR/threads-N) into DIR/bench.*
                      (or --out DIR2)
  --gpu-info          print the WebGPU adapter the GPU rows use, as JSON (exit 1: none)
  -h, --help          this text
`;

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Parse `argv` (without the node and script paths).
 * @throws Error with a message for the user on an unknown or malformed option.
 */
export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    size: 'default',
    backends: [],
    peers: [],
    threads: 1,
    filter: undefined,
    exclude: undefined,
    timeBudgetMs: undefined,
    rowTimeoutMs: undefined,
    deadlineSeconds: undefined,
    quick: false,
    json: false,
    out: undefined,
    note: undefined,
    list: false,
    render: undefined,
    combine: undefined,
    gpuInfo: false,
    help: false,
  };
  let backends: string[] | undefined;
  let peers: PeerName[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
      return v;
    };
    const positiveInt = (): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer, got '${v}'`);
      return n;
    };
    switch (name) {
      case '--size': {
        const size = value();
        if (!BENCH_SIZES.includes(size as BenchSize)) throw new Error(`--size must be one of ${BENCH_SIZES.join(', ')}, got '${size}'`);
        o.size = size as BenchSize;
        break;
      }
      case '--backends':
        backends = list(value());
        break;
      case '--peers': {
        const named = list(value());
        const bad = named.filter((p) => !KNOWN_PEERS.includes(p as PeerName));
        if (bad.length) throw new Error(`unknown peer ${bad.join(', ')} (known: ${KNOWN_PEERS.join(', ')})`);
        peers = named as PeerName[];
        break;
      }
      case '--no-peers':
        peers = [];
        break;
      case '--threads':
        o.threads = positiveInt();
        break;
      case '--filter':
        o.filter = list(value());
        break;
      case '--exclude':
        o.exclude = list(value());
        break;
      case '--time-budget':
      case '--budget':
        o.timeBudgetMs = positiveInt();
        break;
      case '--row-timeout':
        o.rowTimeoutMs = positiveInt();
        break;
      case '--deadline':
        o.deadlineSeconds = positiveInt();
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--out':
        o.out = value();
        break;
      case '--note':
        o.note = value();
        break;
      case '--list':
        o.list = true;
        break;
      case '--render':
        o.render = value();
        break;
      case '--combine':
        o.combine = value();
        break;
      case '--gpu-info':
        o.gpuInfo = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  o.backends = backends ?? defaultBackends(o.size);
  o.peers = peers ?? defaultPeers(o.size);
  return o;
}
