#!/usr/bin/env node
// Runs the Node-facing test suites again on each extra Node line installed by
// scripts/setup-node-versions.mjs (22 and 24; `pnpm test` runs everything on the machine's
// Node first): core, conformance, cpu, wasm (its Node project; the browser projects do not
// depend on Node), the CLI, and the install-from-tarball tests. Each suite runs under that
// line's `node`, which is also first on PATH, so the processes the tests start (the CLI,
// `npm`, `npx`, the installed packages) run on it too. Exits 1 if any suite fails.
//
//   node scripts/test-node-lines.mjs              # every installed line, one after the other
//   node scripts/test-node-lines.mjs 24           # one line
//   node scripts/test-node-lines.mjs --parallel   # the lines side by side
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedLines, NODE_VERSIONS } from './setup-node-versions.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The suites, as [directory, vitest arguments]. */
export const SUITES = [
  ['packages/core', []],
  ['packages/conformance', []],
  ['packages/backend-cpu', []],
  ['packages/backend-wasm', ['--project', 'node']],
  ['apps/cli', []],
  ['tools', ['test/install.test.ts', 'test/cli-install.test.ts']],
];

/** Random conformance cases per property on the extra lines (LLAMA_OPS_NODE_LINES_RUNS overrides). */
const RANDOM_RUNS = '20';

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number);
const lines = installedLines().filter((l) => wanted.length === 0 || wanted.includes(l.line));
const missing = Object.keys(NODE_VERSIONS).filter((l) => !lines.some((x) => String(x.line) === l) && (wanted.length === 0 || wanted.includes(Number(l))));
if (missing.length) {
  console.error(`[node-lines] Node ${missing.join(', ')} not installed in .cache/node: run node scripts/setup-node-versions.mjs`);
  process.exit(1);
}

function vitestOf(dir) {
  const own = join(root, dir, 'node_modules', 'vitest', 'vitest.mjs');
  return existsSync(own) ? own : join(root, 'node_modules', 'vitest', 'vitest.mjs');
}

/** Run one suite on one line; its output is kept and printed whole when it ends. */
function runSuite({ version, node, env }, [dir, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(node, [vitestOf(dir), 'run', '--reporter=dot', ...args], { cwd: join(root, dir), env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`\n[node-lines] Node ${version}: ${dir}${args.length ? ` (${args.join(' ')})` : ''}: ${code === 0 ? 'pass' : 'FAIL'} in ${seconds.toFixed(1)} s\n${out}`);
      resolve({ version, dir, ok: code === 0, seconds });
    });
  });
}

/** Every suite on one line, one after another. */
async function runLine(line) {
  const out = [];
  for (const suite of SUITES) out.push(await runSuite(line, suite));
  return out;
}

const prepared = lines.map(({ line, version, node }) => ({
  line,
  version,
  node,
  // LLAMA_OPS_NODE_LINE tells a test it runs on an extra line (a few checks that do not
  // depend on Node, such as tsc's verdict, run on the main line only). The conformance kit's
  // random cases test the kernels, not Node: every fixed case runs on each line, the random
  // ones at RANDOM_RUNS per property (the main line runs the full count).
  env: {
    ...process.env,
    PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
    LLAMA_OPS_NODE_LINE: String(line),
    CONFORMANCE_RUNS: process.env.LLAMA_OPS_NODE_LINES_RUNS ?? RANDOM_RUNS,
  },
}));
// One line after the other, like the rest of `pnpm test` (--concurrency=1): the suites time
// out less on a busy 2-core machine. --parallel runs the lines side by side (measured on this
// shared machine: no faster, and a 5 s test timed out).
const started = Date.now();
const results = process.argv.includes('--parallel')
  ? (await Promise.all(prepared.map(runLine))).flat()
  : (await prepared.reduce(async (acc, l) => [...(await acc), await runLine(l)], Promise.resolve([]))).flat();

console.log('\n[node-lines] summary');
for (const r of results) console.log(`  Node ${r.version.padEnd(8)} ${r.dir.padEnd(22)} ${r.ok ? 'pass' : 'FAIL'}  ${r.seconds.toFixed(1)} s`);
console.log(`  ${results.filter((r) => r.ok).length} of ${results.length} suites pass; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
