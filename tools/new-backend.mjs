#!/usr/bin/env node
// `pnpm new-backend <name> [--dir <path>] [--package <npm name>] [--force]`: create a backend
// package from templates/backend. The package builds as is; its only test is the conformance
// kit, and each kernel throws a "not implemented" UnsupportedError until it is written.
//
// Two layouts, chosen by where the package goes:
//  - workspace (in packages/ of this repo): `@llama-ops/backend-<name>`, `workspace:`/`catalog:`
//    dependencies, a tsconfig extending the repo's, `repository.directory`; pnpm builds it.
//  - standalone (anywhere else): a package of its own for npm: real version ranges of
//    @llama-ops/core and @llama-ops/conformance, its own tsconfig, no link to this repo, named
//    `llama-ops-backend-<name>` unless --package says otherwise.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATE = join(ROOT, 'templates', 'backend');
const TAKEN = new Set(['auto', 'cpu', 'wasm', 'webgpu', 'core', 'conformance']);
/** The guide a standalone package points to (there is no CONTRIBUTING.md next to it). */
export const GUIDE_URL = 'https://github.com/llama-ops/llama-ops/blob/main/apps/docs/guide/new-backend.md';
const PNPM = `npx -y pnpm@${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager.split('@')[1]}`;

const USAGE = `Usage: pnpm new-backend <name> [--dir <path>] [--package <npm name>] [--force]

Creates a backend package from templates/backend: a KernelBackend skeleton whose kernels
throw "not implemented", and one test that runs the conformance kit. <name> is lower-case
letters, digits and dashes, e.g. "webgl" or "webnn".

  --dir <path>      where to create it (relative to the current directory). Default:
                    packages/backend-<name> of this repo, as @llama-ops/backend-<name>.
                    Outside packages/ the package is standalone: installed with npm, with
                    real version ranges of @llama-ops/core and @llama-ops/conformance.
  --package <name>  the npm name of a standalone package (default llama-ops-backend-<name>)
  --force           write into a directory that already exists and is not empty`;

/** Versions of the repo's pnpm catalog (pnpm-workspace.yaml `catalog:`), by package name. */
function catalog() {
  const out = {};
  let inCatalog = false;
  for (const line of readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^\S/.test(line)) inCatalog = line.trim() === 'catalog:';
    const m = inCatalog && /^\s+"?([^":]+)"?:\s*(\S+)\s*$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

const versionOf = (pkg) => JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')).version;

/**
 * The peer range of @llama-ops/core, as the built-in backends have it (see .changeset/README.md):
 * in 0.x a caret range would make every core minor a major of the backend.
 */
function corePeerRange(version) {
  return Number(version.split('.')[0]) === 0 ? `>=${version} <1.0.0` : `^${version}`;
}

/** A `workspace:`/`catalog:` spec as the version range an npm project needs. */
function standaloneSpec(dep, spec, versions) {
  if (dep === '@llama-ops/core' || dep === '@llama-ops/conformance') {
    // core and conformance are released together with one version: the kit of a core's
    // version describes that core.
    return `^${versions[dep]}`;
  }
  if (spec === 'catalog:') {
    const v = versions.catalog[dep];
    if (!v) throw new Error(`templates/backend/package.json: ${dep} is not in the pnpm catalog`);
    // TypeScript's minors may break types (it does not follow semver): patches only.
    return /^[\d.]+$/.test(v) ? `${dep === 'typescript' ? '~' : '^'}${v}` : v;
  }
  if (spec.startsWith('workspace:')) throw new Error(`templates/backend/package.json: no standalone range for ${dep} (${spec})`);
  return spec;
}

/**
 * How an app asks core for this backend: `@llama-ops/backend-<name>` is imported for the
 * name; any other package is named explicitly.
 * @param {string} name
 * @param {string} packageName
 */
export function createCall(name, packageName) {
  return packageName === `@llama-ops/backend-${name}` ? `createBackend('${name}')` : `createBackend({ package: '${packageName}' })`;
}

/**
 * What to run after generating, as the generator prints it (a `#` starts a comment).
 * @param {{ layout: 'workspace' | 'standalone', name: string, packageName: string, dir: string }} p
 * @returns {string[]}
 */
export function nextSteps({ layout, name, packageName, dir }) {
  if (layout === 'workspace') {
    return [
      `${PNPM} install`,
      `${PNPM} -F ${packageName} build`,
      `${PNPM} -F ${packageName} test     # every case fails with "not implemented" until you write the kernels`,
      `# write src/rmsnorm.ts, src/rope.ts, src/gqa.ts (and src/memory.ts for device memory): CONTRIBUTING.md, "Adding a backend"`,
      `${PNPM} changeset     # "${packageName}": minor, "Initial release"`,
    ];
  }
  return [
    `cd ${dir}`,
    'npm install',
    'npm run build',
    'npm test     # every case fails with "not implemented" until you write the kernels',
    `# write src/rmsnorm.ts, src/rope.ts, src/gqa.ts (and src/memory.ts for device memory): ${GUIDE_URL}`,
    `# then publish it (npm publish); apps create it with ${createCall(name, packageName)} from @llama-ops/core`,
  ];
}

/**
 * Create a backend package.
 * @param {{ name: string, dir?: string, packageName?: string, layout?: 'workspace' | 'standalone', force?: boolean }} options
 *   `layout` defaults to `workspace` for a directory directly in this repo's `packages/`,
 *   `standalone` anywhere else.
 * @returns {{ dir: string, packageName: string, layout: 'workspace' | 'standalone', files: string[], nextSteps: string[] }}
 */
export function generateBackend({ name, dir, packageName, layout, force = false }) {
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/.test(name ?? '')) {
    throw new Error(`backend name: expected lower-case letters, digits and dashes starting with a letter (e.g. "webgl"), got '${name}'`);
  }
  if (TAKEN.has(name)) throw new Error(`backend name: '${name}' is taken (built-in or reserved)`);
  const target = resolve(dir ?? join(ROOT, 'packages', `backend-${name}`));
  const inPackages = dirname(target) === join(ROOT, 'packages');
  const kind = layout ?? (inPackages ? 'workspace' : 'standalone');
  if (kind === 'workspace' && packageName !== undefined && packageName !== `@llama-ops/backend-${name}`) {
    throw new Error(`--package: a backend in this repo is @llama-ops/backend-${name}`);
  }
  const pkgName = kind === 'workspace' ? `@llama-ops/backend-${name}` : (packageName ?? `llama-ops-backend-${name}`);
  if (!/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(pkgName)) throw new Error(`--package: '${pkgName}' is not an npm package name`);
  if (existsSync(target) && readdirSync(target).length > 0 && !force) {
    throw new Error(`${target} exists and is not empty (use --force to write into it)`);
  }
  const coreVersion = versionOf('core');
  const dirInRepo = kind === 'workspace' && !relative(ROOT, target).startsWith('..') && !isAbsolute(relative(ROOT, target))
    ? relative(ROOT, target).split(sep).join('/')
    : `packages/backend-${name}`;
  const selectByName = createCall(name, pkgName);
  const tokens = {
    __PACKAGE__: pkgName,
    __PASCAL__: name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
    __NAME__: name,
    __SRC__: kind === 'workspace' ? `${dirInRepo}/src` : 'src',
    __GUIDE__: kind === 'workspace' ? 'CONTRIBUTING.md, "Adding a backend"' : GUIDE_URL,
    __CREATE_BY_NAME__: selectByName,
    __TEST_COMMAND__: kind === 'workspace' ? `pnpm -F ${pkgName} test` : 'npm test',
  };
  const fill = (text) => {
    for (const [token, value] of Object.entries(tokens)) text = text.split(token).join(value);
    return text;
  };

  const files = [];
  const write = (file, text) => {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    writeFileSync(join(target, file), text);
    files.push(file);
  };
  const copy = (from) => {
    for (const entry of readdirSync(join(TEMPLATE, from))) {
      const rel = from ? `${from}/${entry}` : entry;
      if (statSync(join(TEMPLATE, rel)).isDirectory()) copy(rel);
      else if (rel !== 'package.json' && rel !== 'tsconfig.json') write(rel, fill(readFileSync(join(TEMPLATE, rel), 'utf8')));
    }
  };
  mkdirSync(target, { recursive: true });
  copy('');

  const manifest = JSON.parse(fill(readFileSync(join(TEMPLATE, 'package.json'), 'utf8')));
  const tsconfig = JSON.parse(readFileSync(join(TEMPLATE, 'tsconfig.json'), 'utf8'));
  if (kind === 'workspace') {
    manifest.repository.directory = dirInRepo;
    manifest.peerDependencies['@llama-ops/core'] = `workspace:${corePeerRange(coreVersion)}`;
    tsconfig.extends = relative(target, join(ROOT, 'tsconfig.base.json')).split(sep).join('/');
  } else {
    const versions = { '@llama-ops/core': coreVersion, '@llama-ops/conformance': versionOf('conformance'), catalog: catalog() };
    // Its own repository, not this one.
    delete manifest.repository;
    // Biome and its config (`lint`) are this repo's; a package of its own picks its own linter.
    delete manifest.scripts.lint;
    manifest.peerDependencies['@llama-ops/core'] = corePeerRange(coreVersion);
    for (const [dep, spec] of Object.entries(manifest.devDependencies)) manifest.devDependencies[dep] = standaloneSpec(dep, spec, versions);
    // The repo's compiler settings, inlined: there is no tsconfig.base.json to extend.
    const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8'));
    delete tsconfig.extends;
    tsconfig.compilerOptions = { ...base.compilerOptions, ...tsconfig.compilerOptions };
    write('.gitignore', 'node_modules/\ndist/\n');
  }
  write('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
  write('tsconfig.json', `${JSON.stringify(tsconfig, null, 2)}\n`);

  return { dir: target, packageName: pkgName, layout: kind, files: files.sort(), nextSteps: nextSteps({ layout: kind, name, packageName: pkgName, dir: target }) };
}

function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { dir: { type: 'string' }, package: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
    result = generateBackend({ name: positionals[0], dir: values.dir && resolve(cwd, values.dir), packageName: values.package, force: values.force });
  } catch (err) {
    console.error(`new-backend: ${err.message}`);
    process.exit(1);
  }
  const where = result.layout === 'workspace' ? relative(ROOT, result.dir) : result.dir;
  console.log(`Created ${result.packageName} (${result.layout}) in ${where}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n`);
  console.log(`Next:\n${result.nextSteps.map((s) => `  ${s}`).join('\n')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
