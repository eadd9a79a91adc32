// "Installing only what you need": for each backend of the repo (the built-ins and any
// packages/backend-<name> added with `pnpm new-backend`), a clean npm project outside the
// workspace installs @llama-ops/core + that one backend from the packed tarballs, then runs
// fixtures/install-check.mjs, which computes every op and checks it against float64 values
// computed in the script. Also asserts that no other backend (and one core) got installed.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { BACKENDS, ROOT, publicPackages, workspaceBackends } from '../lib/workspace.mjs';
import { cleanEnv, NPM_INSTALL_FLAGS, sh, tarballOf } from './helpers.js';

const require = createRequire(import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'llama-ops-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LAVAPIPE_ICD = join(ROOT, '.cache', 'mesa', 'lvp_icd.json');

/** Every package name in the installed tree (walks node_modules, scoped and nested). */
function installedPackages(nodeModules: string, found = new Map<string, number>()): Map<string, number> {
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? readdirSync(join(nodeModules, entry.name)).map((n) => join(nodeModules, entry.name, n))
      : [join(nodeModules, entry.name)];
    for (const dir of dirs) {
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const name = JSON.parse(readFileSync(manifest, 'utf8')).name as string;
      found.set(name, (found.get(name) ?? 0) + 1);
      installedPackages(join(dir, 'node_modules'), found);
    }
  }
  return found;
}

/** The Vulkan driver env for Dawn, or why there is none. */
function vulkanEnv(): { env: Record<string, string> } | { missing: string } {
  const hasLoader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib/chromium/libvulkan.so.1'].some(existsSync);
  if (existsSync(SWIFTSHADER_ICD)) {
    // As WEBGPU-TESTING.md: Chromium's SwiftShader; its own libvulkan if the system has none.
    return { env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } };
  }
  if (existsSync(LAVAPIPE_ICD) && hasLoader) {
    const lib = join(ROOT, '.cache', 'mesa', 'usr', 'lib', 'x86_64-linux-gnu');
    return { env: { VK_ICD_FILENAMES: LAVAPIPE_ICD, LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } };
  }
  return {
    missing: `no software Vulkan driver here (neither ${SWIFTSHADER_ICD} from Debian's chromium nor ${LAVAPIPE_ICD}); run scripts/setup-test-env.mjs`,
  };
}

/**
 * The first ts/js code block of a README that imports the package itself: its "working example".
 * Returns the code and the @llama-ops packages it imports.
 */
function readmeExample(pkg: { name: string; dir: string }): { code: string; imports: string[] } | null {
  const file = join(pkg.dir, 'README.md');
  if (!existsSync(file)) return null;
  const blocks = [...readFileSync(file, 'utf8').matchAll(/```(?:ts|js|typescript|javascript)\n([\s\S]*?)```/g)].map((b) => b[1]!);
  const code = blocks.find((b) => new RegExp(`from ['"]${pkg.name}['"]`).test(b));
  if (!code) return null;
  const imports = [...code.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return { code, imports };
}

describe.each(workspaceBackends() as string[])('npm install @llama-ops/core @llama-ops/backend-%s (and nothing else)', (backend) => {
  const pkg = `@llama-ops/backend-${backend}`;
  const dir = join(work, backend);

  let vkEnv: Record<string, string> = {};
  it('installs from the tarballs, computes rmsnorm/addRmsnorm/rope/gqa correctly, and pulls in no other backend', (ctx) => {
    let extraEnv: Record<string, string> = {};
    if (backend === 'webgpu') {
      const vk = vulkanEnv();
      if ('missing' in vk) {
        console.warn(`\n!!! SKIPPED the webgpu install test: ${vk.missing}\n`);
        ctx.skip(vk.missing);
        return;
      }
      extraEnv = vk.env;
      vkEnv = vk.env;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `install-check-${backend}`, private: true, type: 'module' }, null, 2));
    copyFileSync(join(ROOT, 'tools', 'fixtures', 'install-check.mjs'), join(dir, 'install-check.mjs'));

    const specs = [tarballOf('@llama-ops/core'), tarballOf(pkg)];
    // Dawn for Node is an optional peer of the webgpu backend: a Node user installs it too.
    if (backend === 'webgpu') {
      const range = JSON.parse(readFileSync(join(ROOT, 'packages', 'backend-webgpu', 'package.json'), 'utf8')).peerDependencies.webgpu;
      specs.push(`webgpu@${range}`);
    }
    const started = Date.now();
    const install = sh('npm', ['install', ...NPM_INSTALL_FLAGS, ...specs], dir);
    expect(install.status, `npm install failed:\n${install.out}`).toBe(0);
    const installSeconds = (Date.now() - started) / 1000;

    const installed = installedPackages(join(dir, 'node_modules'));
    const ours = [...installed.keys()].filter((n) => n.startsWith('@llama-ops/')).sort();
    expect(ours, 'the @llama-ops packages installed').toEqual([pkg, '@llama-ops/core'].sort());
    expect(installed.get('@llama-ops/core'), 'copies of @llama-ops/core (must be exactly one)').toBe(1);
    if (backend !== 'webgpu') expect(installed.has('webgpu'), 'Dawn (webgpu) must not be installed with this backend').toBe(false);

    const check = sh(process.execPath, ['install-check.mjs', backend], dir, cleanEnv(extraEnv));
    const line = check.stdout.trim().split('\n').pop() ?? '';
    let report: any;
    try {
      report = JSON.parse(line);
    } catch {
      throw new Error(`install-check.mjs crashed (exit ${check.status}):\n${check.out}`);
    }
    console.log(`[install ${backend}] npm install ${installSeconds.toFixed(1)} s; ${JSON.stringify({ maxError: report.maxError, adapter: report.adapter })}`);
    expect(report.errors).toEqual([]);
    expect(check.status).toBe(0);
    expect(report.backend).toBe(backend);
    expect(Object.keys(report.maxError).sort()).toEqual(
      ['addRmsnorm.sum', 'addRmsnorm.y', 'gqa', 'rmsnorm', 'rope(interleaved=false)', 'rope(interleaved=true)'].sort(),
    );
    // core's registry sees exactly the installed backend, and tells how to get the built-ins.
    expect(report.installedBackends).toEqual([backend]);
    for (const other of (BACKENDS as string[]).filter((b) => b !== backend)) {
      expect(report.notInstalled).toContainEqual({ name: other, install: `npm install @llama-ops/backend-${other}` });
    }
  }, 240_000);

  if (backend === 'webgpu') {
    it('negative control: with no Vulkan driver the same check fails (no adapter), it does not pass vacuously', (ctx) => {
      if (!existsSync(join(dir, 'node_modules', pkg))) ctx.skip('the install above did not happen (see its result)');
      const r = sh(process.execPath, ['install-check.mjs', backend], dir, cleanEnv({ VK_ICD_FILENAMES: join(work, 'no-such-icd.json') }));
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/BackendUnavailableError/);
    }, 60_000);
  }

  it('runs the README example of every package that needs only core + this backend, as published', (ctx) => {
    if (!existsSync(join(dir, 'node_modules', pkg))) ctx.skip('the install above did not happen (see its result)');
    const installed = new Set(['@llama-ops/core', pkg]);
    const examples = (publicPackages() as Array<{ name: string; dir: string }>)
      .map((p) => ({ name: p.name, example: readmeExample(p) }))
      .filter((e) => e.example?.imports.every((i) => installed.has(i) || i.startsWith('node:')));
    // This backend's own README must have such an example (checked in metadata.test.ts too).
    expect(examples.map((e) => e.name)).toContain(pkg);
    for (const { name, example } of examples) {
      const js = transformSync(example!.code, { loader: 'ts', format: 'esm', target: 'es2022' }).code;
      const file = join(dir, `readme-${name.split('/')[1]}.mjs`);
      writeFileSync(file, js);
      const r = sh(process.execPath, [file], dir, cleanEnv(vkEnv));
      expect(r.status, `README example of ${name} failed on core + ${pkg}:\n${r.out}`).toBe(0);
    }
    console.log(`[install ${backend}] README examples run: ${examples.map((e) => e.name).join(', ')}`);
  }, 120_000);

  it("runs the root README's \"Use it\" example pasted into an .mjs file: 'auto' finds this backend", (ctx) => {
    if (!existsSync(join(dir, 'node_modules', pkg))) ctx.skip('the install above did not happen (see its result)');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'README.md "Use it" has a js block').toBeDefined();
    // As pasted: plain JavaScript, no build step, no TypeScript.
    writeFileSync(join(dir, 'attention.mjs'), code!);
    const r = sh(process.execPath, ['attention.mjs'], dir, cleanEnv(vkEnv));
    expect(r.status, `README.md's example failed on core + ${pkg}:\n${r.out}`).toBe(0);
    expect(r.stdout.trim()).toBe(`${backend}: rmsnorm 65536 values, attention 65536 values`);
  }, 120_000);

  if (backend === 'webgpu') {
    const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
    const consumer = `import { BackendUnavailableError, rmsnorm } from '@llama-ops/core';
import { createBackend, type GpuTensor, type WebGpuBackendOptions } from '@llama-ops/backend-webgpu';

export async function normalise(device?: GPUDevice): Promise<Float32Array | string> {
  const options: WebGpuBackendOptions = device ? { device } : { powerPreference: 'high-performance' };
  try {
    const be = await createBackend(options);
    const x = be.tensor(new Float32Array(8).fill(1), [1, 8]);
    return await rmsnorm(x, be.tensor(new Float32Array(8).fill(1), [8])).read();
  } catch (err) {
    if (err instanceof BackendUnavailableError && err.code === 'E_BACKEND_UNAVAILABLE') return err.attempts[0]?.reason ?? err.message;
    throw err;
  }
}
export type Buffer = GpuTensor['buffer'];
`;
    const typecheck = (compilerOptions: Record<string, unknown>) => {
      const project = join(dir, `tsc-${Object.keys(compilerOptions).join('-') || 'defaults'}`);
      mkdirSync(project, { recursive: true });
      writeFileSync(join(project, 'main.ts'), consumer);
      const options = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: [], ...compilerOptions };
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['main.ts'] }, null, 2));
      return sh(process.execPath, [tsc, '-p', project], project);
    };

    // What tsc reports does not depend on the Node running it: the extra Node lines skip it.
    const typesOnce = process.env.LLAMA_OPS_NODE_LINE ? 'type checking is the same on every Node line: checked on the main one' : null;

    it('type-checks a consumer with skipLibCheck: false and nothing but the two packages installed (no @webgpu/types of its own)', (ctx) => {
      if (typesOnce) ctx.skip(typesOnce);
      if (!existsSync(join(dir, 'node_modules', pkg))) ctx.skip('the install above did not happen (see its result)');
      // @webgpu/types comes with the backend (a dependency), referenced from its index.d.ts.
      expect(readFileSync(join(dir, 'node_modules', pkg, 'dist', 'index.d.ts'), 'utf8')).toMatch(/^\/\/\/ <reference types="@webgpu\/types" \/>/);
      // TypeScript's defaults: no `lib` (so ES2022 + DOM), strict, NodeNext resolution.
      const r = typecheck({});
      expect(r.status, `tsc:\n${r.out}`).toBe(0);
    }, 120_000);

    it('negative control: skipLibCheck: false does check the libraries (without the DOM lib, @webgpu/types itself fails)', (ctx) => {
      if (typesOnce) ctx.skip(typesOnce);
      if (!existsSync(join(dir, 'node_modules', pkg))) ctx.skip('the install above did not happen (see its result)');
      const r = typecheck({ lib: ['ES2022'] });
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/@webgpu\/types\/dist\/index\.d\.ts.*error TS2304/);
      expect(r.out, 'our own declarations need nothing beyond @webgpu/types').not.toMatch(/backend-webgpu\/dist\/index\.d\.ts.*error/);
    }, 120_000);
  }
});
