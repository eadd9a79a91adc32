#!/usr/bin/env node
// Installs what the test suite needs beyond npm packages, idempotently:
//  - Debian's chromium (headless browser for Vitest browser mode and the docs e2e test;
//    also ships SwiftShader, a software Vulkan driver for Dawn),
//  - libvulkan1 and libllvm15 (the Vulkan loader; LLVM for Mesa's lavapipe),
//  - Mesa 25's lavapipe unpacked into .cache/mesa (a software Vulkan driver with shader-f16),
//  - Node 22 and 24 from the npm registry into .cache/node (scripts/setup-node-versions.mjs):
//    core, conformance, cpu, wasm, the CLI and the install tests also run on them.
// Run by `pnpm test`; safe to run again. Needs root (or sudo) only when something is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mesaDir = join(root, '.cache', 'mesa');

function log(msg) {
  console.log(`[setup-test-env] ${msg}`);
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function dpkgInstalled(pkg) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

// Not a system package: any platform with a node-<platform>-<arch> package on npm.
execFileSync(process.execPath, [join(root, 'scripts', 'setup-node-versions.mjs')], { stdio: 'inherit' });

if (process.platform !== 'linux' || !has('apt-get')) {
  log('not a Debian-like Linux: skipping system packages (browser and WebGPU tests need chromium and a Vulkan driver)');
  process.exit(0);
}

const wanted = ['chromium', 'libvulkan1', 'libllvm15'];
const missing = wanted.filter((p) => !dpkgInstalled(p));
if (missing.length > 0) {
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : has('sudo') ? ['sudo'] : null;
  if (sudo === null) {
    console.error(`[setup-test-env] missing Debian packages: ${missing.join(' ')}; run as root: apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => execFileSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
} else {
  log(`system packages present: ${wanted.join(' ')}`);
}

if (!existsSync(join(mesaDir, 'lvp_icd.json'))) {
  log(`unpacking Mesa lavapipe into ${mesaDir}`);
  execFileSync('bash', [join(root, 'scripts', 'setup-mesa-lavapipe.sh'), mesaDir], { stdio: 'inherit' });
} else {
  log(`Mesa lavapipe present in ${mesaDir}`);
}
