#!/usr/bin/env node
// `pnpm new-backend <name> [--dir <path>] [--force]`: create a backend package from
// templates/backend. The package builds as is; its only test is the conformance kit, and
// each kernel throws a "not implemented" UnsupportedError until it is written.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATE = join(ROOT, 'templates', 'backend');
const TAKEN = new Set(['auto', 'cpu', 'wasm', 'webgpu', 'core', 'conformance']);

const USAGE = `Usage: pnpm new-backend <name> [--dir <path>] [--force]

Creates @llama-ops/backend-<name> (default in packages/backend-<name>) from templates/backend:
a KernelBackend skeleton whose kernels throw "not implemented", and one test that runs the
conformance kit. <name> is lower-case letters, digits and dashes, e.g. "webgl" or "webnn".

  --dir <path>  where to create it (relative to the current directory)
  --force       write into a directory that already exists and is not empty`;

/**
 * Create a backend package.
 * @param {{ name: string, dir?: string, force?: boolean }} options
 * @returns {{ dir: string, packageName: string, files: string[] }}
 */
export function generateBackend({ name, dir, force = false }) {
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/.test(name ?? '')) {
    throw new Error(`backend name: expected lower-case letters, digits and dashes starting with a letter (e.g. "webgl"), got '${name}'`);
  }
  if (TAKEN.has(name)) throw new Error(`backend name: '${name}' is taken (built-in or reserved)`);
  const target = resolve(dir ?? join(ROOT, 'packages', `backend-${name}`));
  if (existsSync(target) && readdirSync(target).length > 0 && !force) {
    throw new Error(`${target} exists and is not empty (use --force to write into it)`);
  }
  const packageName = `@llama-ops/backend-${name}`;
  const inRepo = !relative(ROOT, target).startsWith('..') && !isAbsolute(relative(ROOT, target));
  const coreVersion = JSON.parse(readFileSync(join(ROOT, 'packages', 'core', 'package.json'), 'utf8')).version;
  const [major] = coreVersion.split('.').map(Number);
  // Same policy as the other backends (see .changeset/README.md): in 0.x a caret range would
  // make every core minor a major of this backend.
  const corePeerRange = major === 0 ? `workspace:>=${coreVersion} <1.0.0` : 'workspace:^';
  const tokens = {
    __PACKAGE__: packageName,
    __PASCAL__: name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
    __NAME__: name,
    __DIR__: inRepo ? relative(ROOT, target).split(sep).join('/') : `packages/backend-${name}`,
    __TSCONFIG_BASE__: relative(target, join(ROOT, 'tsconfig.base.json')).split(sep).join('/'),
    __CORE_PEER_RANGE__: corePeerRange,
  };
  const files = [];
  const copy = (from, to) => {
    for (const entry of readdirSync(from)) {
      const src = join(from, entry);
      const dst = join(to, entry);
      if (statSync(src).isDirectory()) {
        mkdirSync(dst, { recursive: true });
        copy(src, dst);
        continue;
      }
      let text = readFileSync(src, 'utf8');
      for (const [token, value] of Object.entries(tokens)) text = text.split(token).join(value);
      writeFileSync(dst, text);
      files.push(relative(target, dst).split(sep).join('/'));
    }
  };
  mkdirSync(target, { recursive: true });
  copy(TEMPLATE, target);
  return { dir: target, packageName, files: files.sort() };
}

function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { dir: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    process.exit(2);
  }
  // pnpm runs root scripts in the repo root; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let result;
  try {
    result = generateBackend({ name: positionals[0], dir: values.dir && resolve(cwd, values.dir), force: values.force });
  } catch (err) {
    console.error(`new-backend: ${err.message}`);
    process.exit(1);
  }
  const rel = relative(ROOT, result.dir) || '.';
  const inWorkspace = /^packages\/[^/]+$/.test(rel.split(sep).join('/'));
  console.log(`Created ${result.packageName} in ${rel}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n`);
  console.log(
    [
      'Next:',
      inWorkspace
        ? '  npx -y pnpm@10.34.8 install'
        : `  (${rel} is outside packages/: pnpm will not link its workspace:/catalog: dependencies; move it to packages/ to work on it here)`,
      `  npx -y pnpm@10.34.8 -F ${result.packageName} build`,
      `  npx -y pnpm@10.34.8 -F ${result.packageName} test     # every case fails with "not implemented" until you write the kernels`,
      `  write src/rmsnorm.ts, src/rope.ts, src/gqa.ts (and src/memory.ts for device memory); see CONTRIBUTING.md`,
      `  npx -y pnpm@10.34.8 changeset                          # "${result.packageName}": minor, "Initial release"`,
    ].join('\n'),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
