/** Command-line parsing of `llama-ops-bench` (kept apart from main.ts so it can be tested). */
import { BACKEND_NAMES } from './backends.js';
import { PEER_NAMES } from './peers.js';
import type { PeerName } from './report.js';

/** Parsed command line. */
export interface CliOptions {
  backends: string[];
  peers: PeerName[];
  threads: number;
  filter: string[] | undefined;
  exclude: string[] | undefined;
  timeBudgetMs: number | undefined;
  quick: boolean;
  json: boolean;
  out: string | undefined;
  note: string | undefined;
  list: boolean;
  /** Re-render a saved bench.json instead of running. */
  render: string | undefined;
  help: boolean;
}

/** Usage text. */
export const USAGE = `llama-ops-bench: RMSNorm, RoPE and GQA on Llama shapes, our backends vs onnxruntime

Usage: llama-ops-bench [options]

  --backends LIST     backends to measure (default ${BACKEND_NAMES.join(',')})
  --peers LIST        ORT peers (default ${PEER_NAMES.join(',')}); --no-peers for none
  --threads N         threads for wasm and both ORT peers (default 1)
  --filter LIST       rows whose id/op/group contains any item (e.g. rmsnorm,decode)
  --exclude LIST      leave out rows matching any item (after --filter)
  --time-budget MS    timed samples per row and contender (default 1500; --quick 20)
  --quick             tiny budget, fewest samples: proves everything runs
  --json              print only the JSON report
  --out DIR           write DIR/bench.json, bench.md and bench.svg
  --note TEXT         note about the machine stored in the report
  --list              list the rows and exit
  --render FILE       re-render a saved bench.json (markdown, or --json/--out) without running
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
    backends: [...BACKEND_NAMES],
    peers: [...PEER_NAMES],
    threads: 1,
    filter: undefined,
    exclude: undefined,
    timeBudgetMs: undefined,
    quick: false,
    json: false,
    out: undefined,
    note: undefined,
    list: false,
    render: undefined,
    help: false,
  };
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
      case '--backends':
        o.backends = list(value());
        break;
      case '--peers': {
        const peers = list(value());
        const bad = peers.filter((p) => !PEER_NAMES.includes(p as PeerName));
        if (bad.length) throw new Error(`unknown peer ${bad.join(', ')} (known: ${PEER_NAMES.join(', ')})`);
        o.peers = peers as PeerName[];
        break;
      }
      case '--no-peers':
        o.peers = [];
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
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return o;
}
