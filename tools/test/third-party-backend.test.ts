// A third-party backend, end to end, as someone outside this repo makes one:
//  1. `node tools/new-backend.mjs <name> --dir <outside the repo>` writes a standalone package
//     (real version ranges, its own tsconfig, no link to this repo) and prints npm next steps;
//  2. npm installs it (@llama-ops/core and @llama-ops/conformance from their packed tarballs,
//     as they will come from npm; tsup, typescript and vitest from the registry) and the
//     printed steps work there: build, typecheck, test (the kit fails every case with "not
//     implemented" and says where to write each kernel);
//  3. with its kernels delegating to a correct implementation (the cpu backend's), its kit
//     passes;
//  4. packed and installed into an app next to core, the examples of its README run, and
//     core creates it by package name and, published as @llama-ops/backend-<name>, by name.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { GUIDE_URL } from '../new-backend.mjs';
// @ts-expect-error plain ESM helper without type declarations
import { ROOT } from '../lib/workspace.mjs';
import { delegateToCpu, opOf, readReport } from './generated-backend.js';
import { cleanEnv, NPM_INSTALL_FLAGS, sh, tarballOf } from './helpers.js';

const NAME = 'kit-check';
const PACKAGE = `llama-ops-backend-${NAME}`;
const work = mkdtempSync(join(tmpdir(), 'llama-ops-third-party-'));
const dir = join(work, PACKAGE);
const app = join(work, 'app');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const versionOf = (pkg: string) => JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')).version as string;
const env = () => cleanEnv({ CONFORMANCE_RUNS: '3' });
const run = (cmd: string, args: string[], cwd = dir) => sh(cmd, args, cwd, env());

/** The "Next:" lines the generator printed, without their comments. */
let nextSteps: string[] = [];
const step = (prefix: string) => {
  const found = nextSteps.find((s) => s.startsWith(prefix));
  expect(found, `the generator's next steps have no '${prefix}': ${JSON.stringify(nextSteps)}`).toBeDefined();
  return found!.split('#')[0]!.trim().split(/\s+/);
};

let reports = 0;
/** `npm test` as the next steps say, with vitest's JSON report added. */
function npmTest() {
  const file = join(work, `report-${++reports}.json`);
  const [cmd, ...args] = step('npm test');
  const r = run(cmd!, [...args, '--', '--reporter=json', `--outputFile=${file}`]);
  return { status: r.status, tests: readReport(file, r.out), out: r.out };
}

describe('a third-party backend: new-backend --dir <outside the repo>, installed with npm', () => {
  it('generates a standalone package: real version ranges, its own tsconfig, no link to this repo, npm next steps', () => {
    const r = sh(process.execPath, [join(ROOT, 'tools', 'new-backend.mjs'), NAME, '--dir', dir], work);
    expect(r.status, r.out).toBe(0);
    expect(r.stdout).toContain(`Created ${PACKAGE} (standalone) in ${dir}:`);
    nextSteps = r.stdout.split('Next:\n')[1]!.trim().split('\n').map((s) => s.trim());
    expect(nextSteps.slice(0, 4).map((s) => s.split('#')[0]!.trim())).toEqual([`cd ${dir}`, 'npm install', 'npm run build', 'npm test']);
    expect(nextSteps.join('\n')).toContain(`createBackend({ package: '${PACKAGE}' })`);
    expect(nextSteps.join('\n')).not.toMatch(/pnpm|workspace|CONTRIBUTING/);

    const text = readFileSync(join(dir, 'package.json'), 'utf8');
    expect(text).not.toMatch(/workspace:|catalog:/);
    const manifest = JSON.parse(text);
    expect(manifest.name).toBe(PACKAGE);
    expect(manifest.repository).toBeUndefined();
    // No `lint`: it is this repo's Biome with its config; `typecheck` (tsc) stays.
    expect(manifest.scripts.lint).toBeUndefined();
    expect(manifest.scripts.typecheck).toBe('tsc --noEmit');
    const core = versionOf('core');
    expect(manifest.peerDependencies).toEqual({ '@llama-ops/core': `>=${core} <1.0.0` });
    // core and conformance are released together with one version: the kit of that core.
    expect(manifest.devDependencies['@llama-ops/core']).toBe(`^${core}`);
    expect(manifest.devDependencies['@llama-ops/conformance']).toBe(`^${versionOf('conformance')}`);
    for (const [dep, range] of Object.entries<string>(manifest.devDependencies)) expect(range, dep).toMatch(/^[~^]\d+\.\d+\.\d+$/);

    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.extends).toBeUndefined();
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'ESNext', outDir: 'dist' });
    // Nothing points back into this repo: no relative path out of the package, no repo file.
    for (const file of ['README.md', 'package.json', 'tsconfig.json', 'src/index.ts', 'src/not-implemented.ts', 'test/conformance.test.ts']) {
      const body = readFileSync(join(dir, file), 'utf8');
      expect(body, file).not.toMatch(/\.\.\/\.\.|CONTRIBUTING\.md|packages\/backend-|__[A-Z]+__/);
    }
    expect(readFileSync(join(dir, 'src', 'not-implemented.ts'), 'utf8')).toContain(`write the kernel in src/\${op}.ts (see ${GUIDE_URL})`);
  });

  it('installs with npm (core and conformance from their tarballs) without changing its package.json, then builds and typechecks', () => {
    const before = readFileSync(join(dir, 'package.json'), 'utf8');
    // `npm install` as the next steps say, with the packages that are not on npm yet given as
    // tarballs (--no-save keeps the real ranges); the cpu backend is for step 3 only.
    expect(step('npm install')).toEqual(['npm', 'install']);
    const specs = ['@llama-ops/core', '@llama-ops/conformance', '@llama-ops/backend-cpu'].map(tarballOf);
    const started = Date.now();
    const install = run('npm', ['install', '--no-save', ...NPM_INSTALL_FLAGS, ...specs]);
    expect(install.status, `npm install failed:\n${install.out}`).toBe(0);
    console.log(`[third-party] npm install ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before);
    for (const pkg of ['core', 'conformance']) {
      expect(JSON.parse(readFileSync(join(dir, 'node_modules', '@llama-ops', pkg, 'package.json'), 'utf8')).version).toBe(versionOf(pkg));
    }

    const [cmd, ...args] = step('npm run build');
    const build = run(cmd!, args);
    expect(build.status, build.out).toBe(0);
    expect(readFileSync(join(dir, 'dist', 'index.d.ts'), 'utf8')).toContain('createBackend');
    const tsc = run('npm', ['run', 'typecheck']);
    expect(tsc.status, tsc.out).toBe(0);
  });

  it('as generated, npm test fails every case with "not implemented" and the file to write', () => {
    const { status, tests } = npmTest();
    expect(status).not.toBe(0);
    const failed = tests.filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(20);
    expect(tests.filter((t) => t.status === 'passed').map((t) => t.fullName)).toEqual([]);
    for (const t of failed) {
      expect(t.failureMessages.join('\n'), t.fullName).toMatch(
        new RegExp(`(rmsnorm|rope|gqa): not implemented in ${PACKAGE} yet: write the kernel in src/(rmsnorm|rope|gqa)\\.ts \\(see https://`),
      );
    }
    expect(new Set(failed.map(opOf))).toEqual(new Set(['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache']));
  });

  it('with every kernel delegating to a correct implementation, npm test passes the whole kit', () => {
    for (const op of ['rmsnorm', 'rope', 'gqa'] as const) delegateToCpu(dir, 'KitCheckStorage', op);
    const build = run('npm', ['run', 'build']);
    expect(build.status, build.out).toBe(0);
    const { status, tests, out } = npmTest();
    expect(tests.filter((t) => t.status === 'failed').map((t) => `${t.fullName}\n${t.failureMessages.join('\n')}`)).toEqual([]);
    expect(status, out).toBe(0);
    expect(tests.filter((t) => t.status === 'passed').length).toBeGreaterThan(150);
  });

  it('packed and installed in an app next to core: its README examples run, and core creates it by package and by name', () => {
    const pack = run('npm', ['pack', '--pack-destination', work, '--loglevel=error']);
    expect(pack.status, pack.out).toBe(0);
    const tarball = join(work, readdirSync(work).find((f) => f.startsWith(`${PACKAGE}-`) && f.endsWith('.tgz'))!);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'third-party-backend-app', private: true, type: 'module' }, null, 2));
    const install = sh('npm', ['install', ...NPM_INSTALL_FLAGS, tarballOf('@llama-ops/core'), tarball], app, env());
    expect(install.status, `npm install failed:\n${install.out}`).toBe(0);
    // The kernels came from the cpu backend at build time (bundled); the app has only core and this package.
    expect(readdirSync(join(app, 'node_modules', '@llama-ops'))).toEqual(['core']);

    // Every ts/js example of the README, as a user would paste it.
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBe(2);
    expect(examples[1]).toContain(`createBackend({ package: '${PACKAGE}' })`);
    for (const [i, code] of examples.entries()) {
      const file = join(app, `readme-${i}.mjs`);
      writeFileSync(file, transformSync(code, { loader: 'ts', format: 'esm', target: 'es2022' }).code);
      const r = sh(process.execPath, [file], app, env());
      expect(r.status, `README example ${i} failed:\n${code}\n${r.out}`).toBe(0);
      if (i === 0) expect(r.stdout).toMatch(/Float32Array\(16\) \[\s*0\.49999\d*|Float32Array\(16\) \[\s*0\.5/);
      else expect(r.stdout.trim()).toBe(`${NAME} [ 'f32' ]`);
    }

    // Published as @llama-ops/backend-<name> (here: a package of that name re-exporting it),
    // core finds it by name with no registration; a missing package is a typed error.
    const shim = join(app, 'node_modules', '@llama-ops', `backend-${NAME}`);
    mkdirSync(shim, { recursive: true });
    writeFileSync(join(shim, 'package.json'), JSON.stringify({ name: `@llama-ops/backend-${NAME}`, version: '0.1.0', type: 'module', exports: './index.js' }));
    writeFileSync(join(shim, 'index.js'), `export { createBackend } from '${PACKAGE}';\n`);
    writeFileSync(
      join(app, 'by-name.mjs'),
      `import { BackendUnavailableError, createBackend, listBackends } from '@llama-ops/core';
const byName = await createBackend('${NAME}');
const listed = (await listBackends()).find((s) => s.name === '${NAME}');
const missing = await createBackend({ package: 'llama-ops-backend-absent' }).catch((e) => e);
console.log(JSON.stringify({
  byName: byName.name,
  listed: listed && { installed: listed.installed, available: listed.available },
  missing: { typed: missing instanceof BackendUnavailableError, attempts: missing.attempts },
}));
`,
    );
    const r = sh(process.execPath, ['by-name.mjs'], app, env());
    expect(r.status, r.out).toBe(0);
    const report = JSON.parse(r.stdout.trim());
    expect(report.byName).toBe(NAME);
    expect(report.listed).toEqual({ installed: true, available: true });
    expect(report.missing.typed).toBe(true);
    expect(report.missing.attempts).toEqual([
      expect.objectContaining({ name: 'llama-ops-backend-absent', installed: false, install: 'npm install llama-ops-backend-absent' }),
    ]);
    expect(existsSync(join(app, 'node_modules', PACKAGE, 'dist', 'index.js'))).toBe(true);
  });
});
