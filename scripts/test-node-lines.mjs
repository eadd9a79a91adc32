#!/usr/bin/env node
// Runs the Node-facing test suites again on each extra Node line installed by
// scripts/setup-node-versions.mjs (22 and 24; `pnpm test` runs everything on the machine's
// Node first): core, conformance, cpu, wasm (its Node project; the browser projects do not
// depend on Node), the CLI, and the install-from-tarball tests. Each suite runs under that
// line's `node`, which is also first on PATH, so the processes the tests start (the CLI,
// `npm`, `npx`, the installed packages) run on it too. Exits 1 if any suite fails.
//
//   node scripts/test-node-lines.mjs              # every installed line
//   node scripts/test-node-lines.mjs 24           # one line
import { spawnSync } from 'node:child_process';
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

const wanted = process.argv.slice(2).map(Number);
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

const results = [];
for (const { line, version, node } of lines) {
  // LLAMA_OPS_NODE_LINE tells a test it runs on an extra line (a few checks that do not
  // depend on Node, such as tsc's verdict, run on the main line only).
  // The conformance kit's random cases test the kernels, not Node: every fixed case runs on
  // each line, the random ones at RANDOM_RUNS per property (the main line runs the full count).
  const env = {
    ...process.env,
    PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
    LLAMA_OPS_NODE_LINE: String(line),
    CONFORMANCE_RUNS: process.env.LLAMA_OPS_NODE_LINES_RUNS ?? RANDOM_RUNS,
  };
  for (const [dir, args] of SUITES) {
    console.log(`\n[node-lines] Node ${version}: ${dir}${args.length ? ` (${args.join(' ')})` : ''}`);
    const started = Date.now();
    const r = spawnSync(node, [vitestOf(dir), 'run', '--reporter=dot', ...args], { cwd: join(root, dir), env, stdio: 'inherit' });
    results.push({ line, version, dir, ok: r.status === 0, seconds: (Date.now() - started) / 1000 });
  }
}

console.log('\n[node-lines] summary');
for (const r of results) console.log(`  Node ${r.version.padEnd(8)} ${r.dir.padEnd(22)} ${r.ok ? 'pass' : 'FAIL'}  ${r.seconds.toFixed(1)} s`);
const total = results.reduce((s, r) => s + r.seconds, 0);
console.log(`  ${results.filter((r) => r.ok).length} of ${results.length} suites pass in ${total.toFixed(0)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
