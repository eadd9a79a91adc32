// `npm install @llama-ops/cli` as a new user does it, from the packed tarballs into a clean
// npm project outside the workspace: no .npmrc (neither the project's nor the user's), the
// npm registry as the only source, no install scripts anywhere in the tree (so nothing is
// fetched from another host), only the CLI's hard dependencies, a bounded size; then
// `npx llama-ops demo` prints the demo and nothing else, and `npx llama-ops verify` passes.
// `pnpm test` runs this file on Node 20, 22 and 24 (scripts/test-node-lines.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarballOf } from './helpers.js';

const NPM_CACHE = join(tmpdir(), 'llama-ops-release-tests-npm-cache');
/** The bound for the CLI without its optional parts. */
const MAX_INSTALLED_BYTES = 25 * 2 ** 20;
const HARD = ['@llama-ops/cli', '@llama-ops/core', '@llama-ops/conformance', '@llama-ops/backend-cpu', '@llama-ops/backend-wasm'];

const work = mkdtempSync(join(tmpdir(), 'llama-ops-cli-install-'));
const project = join(work, 'project');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A user's environment: no npm_* settings from the pnpm running the tests, no user .npmrc. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|VITEST|LLAMA_OPS_)/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  const emptyRc = join(work, 'empty-npmrc');
  writeFileSync(emptyRc, '');
  // A new user's cache directory too: the first `demo` runs the quick conformance probe and
  // caches its verdict there (the user's real ~/.cache is left alone).
  return { ...env, npm_config_userconfig: emptyRc, npm_config_cache: NPM_CACHE, XDG_CACHE_HOME: join(work, 'user-cache'), NO_COLOR: '1' };
}

function sh(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: project, env: userEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

interface Installed {
  name: string;
  dir: string;
  manifest: Record<string, any>;
}

function installedTree(nodeModules: string, found: Installed[] = []): Installed[] {
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@') ? readdirSync(join(nodeModules, entry.name)).map((n) => join(nodeModules, entry.name, n)) : [join(nodeModules, entry.name)];
    for (const dir of dirs) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      found.push({ name: manifest.name, dir, manifest });
      installedTree(join(dir, 'node_modules'), found);
    }
  }
  return found;
}

function bytesOf(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, f) => sum + bytesOf(join(path, f)), 0);
}

let install: ReturnType<typeof sh>;
beforeAll(() => {
  rmSync(project, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-project', private: true, type: 'module' }, null, 2));
  const started = Date.now();
  install = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...HARD.map(tarballOf)]);
  console.log(`[cli install] Node ${process.version}: npm install ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 240_000);

describe(`npm install @llama-ops/cli (Node ${process.version})`, () => {
  it('installs cleanly: no warnings, no .npmrc, only the hard dependencies, no install scripts', () => {
    expect(install.status, `npm install failed:\n${install.out}`).toBe(0);
    expect(existsSync(join(project, '.npmrc'))).toBe(false);
    expect(install.out).not.toMatch(/npm warn|Unknown (project|user) config|ENOENT|Failed to create bin/i);
    const tree = installedTree(join(project, 'node_modules'));
    const ours = tree.filter((p) => p.name.startsWith('@llama-ops/')).map((p) => p.name).sort();
    expect(ours, 'the @llama-ops packages installed').toEqual([...HARD].sort());
    for (const optional of ['webgpu', 'onnxruntime-node', 'onnxruntime-web', '@llama-ops/backend-webgpu', '@llama-ops/bench']) {
      expect(tree.some((p) => p.name === optional), `${optional} is an optional peer: not installed`).toBe(false);
    }
    // A package with an install script could fetch from anywhere; the tree has none.
    const scripted = tree.filter((p) => ['preinstall', 'install', 'postinstall'].some((s) => p.manifest.scripts?.[s])).map((p) => p.name);
    expect(scripted, 'packages with install scripts').toEqual([]);
    expect(existsSync(join(project, 'node_modules', '.bin', 'llama-ops'))).toBe(true);
  });

  it(`takes at most ${MAX_INSTALLED_BYTES / 2 ** 20} MB`, () => {
    const bytes = bytesOf(join(project, 'node_modules'));
    console.log(`[cli install] node_modules: ${(bytes / 2 ** 20).toFixed(1)} MB in ${installedTree(join(project, 'node_modules')).length} packages`);
    expect(bytes).toBeLessThanOrEqual(MAX_INSTALLED_BYTES);
  });

  it('npx llama-ops demo: the first line of output is the demo, and every check passes', () => {
    const r = sh('npx', ['llama-ops', 'demo']);
    expect(r.status, r.out).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^llama-ops demo · one Llama attention block, token by token, on wasm$/);
    // A new user: the quick conformance probe runs (its verdict is cached for later runs).
    expect(r.stdout).toMatch(/backend {2}wasm \(auto: webgpu not installed, passed the quick conformance probe in \d+ ms\)/);
    expect(r.stdout).toContain('npm install @llama-ops/backend-webgpu webgpu');
    expect(r.stdout).toMatch(/result\s+PASS — all 28 checks within SPEC tolerance/);
    expect(r.stderr, 'npx and the CLI print nothing else').toBe('');
  });

  it('npx llama-ops verify: the conformance kit passes on the installed backend', () => {
    const r = sh('npx', ['llama-ops', 'verify']);
    expect(r.status, r.out).toBe(0);
    expect(r.stdout).toMatch(/conformance of the wasm backend/);
    expect(r.stdout).toMatch(/PASS — \d+ cases pass, \d+ random cases per op/);
  });

  it('npx llama-ops bench names the optional package it needs; --backend webgpu names the two to install', () => {
    const bench = sh('npx', ['llama-ops', 'bench', '--quick', '--json']);
    expect(bench.status).toBe(1);
    expect(JSON.parse(bench.stdout).error).toMatchObject({ code: 'E_NOT_INSTALLED', message: expect.stringContaining('@llama-ops/bench') });
    const gpu = sh('npx', ['llama-ops', 'demo', '--backend', 'webgpu']);
    expect(gpu.status).toBe(1);
    expect(gpu.stderr).toContain('the webgpu backend is not installed — install it with: npm install @llama-ops/backend-webgpu webgpu');
  });

  it('from CommonJS, require() is refused as the README says (the packages are ESM only)', () => {
    writeFileSync(join(project, 'cjs.cjs'), "try { require('@llama-ops/core'); } catch (e) { console.log(e.code); }\n");
    const r = sh(process.execPath, ['cjs.cjs']);
    expect(r.stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    writeFileSync(join(project, 'cjs-import.cjs'), "import('@llama-ops/core').then((core) => console.log(typeof core.createBackend));\n");
    expect(sh(process.execPath, ['cjs-import.cjs']).stdout.trim()).toBe('function');
  });
});
