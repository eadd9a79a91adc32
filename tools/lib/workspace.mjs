// Helpers shared by the release scripts and their tests: where the workspace is, which
// packages it holds, how to run pnpm, and how to pack the public packages the way
// `changeset publish` will (pnpm rewrites `workspace:` ranges while packing).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pnpm the repo pins (package.json `packageManager`). */
export const PNPM_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager.split('@')[1];

/** Packages published to npm. A new backend made by `pnpm new-backend` joins them once it is in `packages/`. */
export const EXPECTED_PUBLIC = [
  '@llama-ops/core',
  '@llama-ops/conformance',
  '@llama-ops/backend-cpu',
  '@llama-ops/backend-wasm',
  '@llama-ops/backend-webgpu',
  '@llama-ops/cli',
];

/** Public packages that are a command (`bin`), not a library: no `exports`, no types. */
export const BIN_PACKAGES = ['@llama-ops/cli'];

/** Workspace packages that must never be published. */
export const EXPECTED_PRIVATE = ['@llama-ops/bench', '@llama-ops/docs', '@llama-ops/onnx-peer', '@llama-ops/tools'];

/** The built-in backends (core knows their names and priorities), by short name. */
export const BACKENDS = ['cpu', 'wasm', 'webgpu'];

/**
 * Every backend published from this repo, by short name: the built-ins and any
 * `packages/backend-<name>` added since (e.g. by `pnpm new-backend`).
 * @returns {string[]}
 */
export function workspaceBackends() {
  return publicPackages()
    .map((p) => /^@llama-ops\/backend-(.+)$/.exec(p.name)?.[1])
    .filter(Boolean)
    .sort();
}

/**
 * Every workspace package (the globs of pnpm-workspace.yaml: `packages/*`, `apps/*`, `tools`).
 * @returns {{ name: string, dir: string, manifest: Record<string, any> }[]}
 */
export function workspacePackages() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    for (const entry of readdirSync(join(ROOT, group), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(join(ROOT, group, entry.name));
    }
  }
  dirs.push(join(ROOT, 'tools'));
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { name: manifest.name, dir, manifest };
    });
}

/** The packages `changeset publish` would publish (not `private`). */
export function publicPackages() {
  return workspacePackages().filter((p) => p.manifest.private !== true);
}

/**
 * How to run pnpm here: the pnpm running this process when there is one (`pnpm test`),
 * else a `pnpm` on PATH, else `npx -y pnpm@<pinned>`.
 * @returns {{ command: string, args: string[] }}
 */
export function pnpmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath) && existsSync(execPath)) {
    return /\.c?js$/.test(execPath) ? { command: process.execPath, args: [execPath] } : { command: execPath, args: [] };
  }
  if (spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout?.trim() === PNPM_VERSION) {
    return { command: 'pnpm', args: [] };
  }
  return { command: 'npx', args: ['-y', `pnpm@${PNPM_VERSION}`] };
}

/**
 * Run a command, throw with its output when it fails.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnSyncOptions} [options]
 */
export function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`${command} ${args.join(' ')} failed: ${why}\n${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  }
  return r;
}

/**
 * `pnpm pack` every public package into `dest` (built `dist/` must exist).
 * @param {string} dest
 * @param {{ unbuilt?: 'throw' | 'skip' }} [options] what to do with a package that has no
 *   `dist/` yet: throw (default), or leave it out (the caller reports it)
 * @returns {Record<string, string>} package name -> tarball path
 */
export function packPublic(dest, options = {}) {
  mkdirSync(dest, { recursive: true });
  const pnpm = pnpmCommand();
  const toPack = [];
  for (const pkg of publicPackages()) {
    if (!existsSync(join(pkg.dir, 'dist'))) {
      if (options.unbuilt === 'skip') continue;
      throw new Error(`${pkg.name} has no dist/: build it first (pnpm -F ${pkg.name} build, or pnpm build)`);
    }
    toPack.push(pkg);
  }
  if (toPack.length === 0) return {};
  // One recursive pnpm call packs them all (one pnpm start instead of one per package).
  const filters = toPack.flatMap((p) => ['--filter', p.name]);
  const r = run(pnpm.command, [...pnpm.args, '-r', ...filters, 'pack', '--pack-destination', dest, '--json'], { cwd: ROOT });
  const tarballs = {};
  for (const pkg of toPack) tarballs[pkg.name] = parsePackOutput(r.stdout, dest, pkg.manifest);
  for (const [name, file] of Object.entries(tarballs)) {
    if (!existsSync(file)) throw new Error(`pnpm pack did not write ${file} for ${name}:\n${r.stdout}\n${r.stderr}`);
  }
  return tarballs;
}

function parsePackOutput(stdout, dest, manifest) {
  // pnpm -r pack --json prints [{ name, version, filename, files }]; else the npm naming rule.
  try {
    const start = stdout.search(/^[[{]/m);
    const info = JSON.parse(stdout.slice(start));
    const entry = (Array.isArray(info) ? info : [info]).find((i) => i.name === manifest.name);
    if (entry?.filename) return resolve(dest, entry.filename);
  } catch {
    /* not JSON: fall back */
  }
  const base = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
  return join(dest, base);
}
