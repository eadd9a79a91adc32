// Publishing metadata of every workspace package, and what each tarball really contains.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { BIN_PACKAGES, EXPECTED_PRIVATE, EXPECTED_PUBLIC, ROOT, publicPackages, workspacePackages } from '../lib/workspace.mjs';
import { tarballOf } from './helpers.js';

type Pkg = { name: string; dir: string; manifest: Record<string, any> };
const all = workspacePackages() as Pkg[];
const byName = new Map(all.map((p) => [p.name, p]));

function tarFiles(tgz: string): string[] {
  return execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}
function tarManifest(tgz: string): Record<string, any> {
  return JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
}

describe('which packages are published', () => {
  it.each(EXPECTED_PUBLIC as string[])('%s is public (not private)', (name) => {
    expect(byName.get(name), `${name} is missing from the workspace`).toBeDefined();
    expect(byName.get(name)!.manifest.private).not.toBe(true);
  });
  it.each(EXPECTED_PRIVATE as string[])('%s is private: true', (name) => {
    expect(byName.get(name), `${name} is missing from the workspace`).toBeDefined();
    expect(byName.get(name)!.manifest.private).toBe(true);
  });
});

const libraries = (publicPackages() as Pkg[]).map((p) => p.name).filter((n) => !(BIN_PACKAGES as string[]).includes(n));

/** What every published package declares, library or command. */
function expectCommonMetadata(pkg: Pkg) {
  const m = pkg.manifest;
  expect(m.type).toBe('module');
  expect(m.files).toContain('dist');
  expect(m.files).toContain('README.md');
  expect(m.files).toContain('CHANGELOG.md');
  expect(m.engines?.node).toBe('>=20');
  expect(m.license).toBe('MIT');
  expect(m.repository).toMatchObject({ type: 'git', url: 'git+https://github.com/llama-ops/llama-ops.git' });
  expect(m.repository.directory).toBe(relative(ROOT, pkg.dir));
  expect(m.publishConfig?.access).toBe('public');
  expect(Array.isArray(m.keywords) && m.keywords.length > 0).toBe(true);
  expect(existsSync(join(pkg.dir, 'LICENSE')), `${pkg.name}: LICENSE`).toBe(true);
  expect(existsSync(join(pkg.dir, 'CHANGELOG.md')), `${pkg.name}: CHANGELOG.md (a hand-written ## 0.1.0 entry before the first release)`).toBe(true);
}

/** The tarball holds dist/, README, CHANGELOG, LICENSE and package.json only, with no workspace:/catalog: ranges left. */
function expectPackedFiles(name: string, required: string[]) {
  const tgz = tarballOf(name);
  const files = tarFiles(tgz);
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', ...required]) expect(files).toContain(f);
  const stray = files.filter((f) => !/^(dist\/|README\.md$|package\.json$|CHANGELOG\.md$|LICENSE)/.test(f));
  expect(stray, 'files outside dist/ in the tarball').toEqual([]);
  const packed = tarManifest(tgz);
  expect(JSON.stringify(packed)).not.toContain('workspace:');
  expect(JSON.stringify(packed)).not.toContain('catalog:');
  return packed;
}

describe.each(libraries)('%s', (name) => {
  const pkg = byName.get(name)!;
  const m = pkg?.manifest ?? {};
  const isBackend = name.startsWith('@llama-ops/backend-');

  it('declares ESM exports with types first, types, files, sideEffects, engines, license, repository', () => {
    expectCommonMetadata(pkg);
    const root = m.exports?.['.'];
    expect(root, 'exports["."]').toBeTypeOf('object');
    for (const [subpath, target] of Object.entries<any>(m.exports)) {
      if (typeof target === 'string') continue; // "./package.json"
      expect(Object.keys(target)[0], `exports["${subpath}"]: "types" must come first`).toBe('types');
      expect(target.require, `exports["${subpath}"]: ESM only, no require condition`).toBeUndefined();
    }
    expect(m.types).toBe(root.types);
    expect(m.sideEffects).toBe(false);
  });

  it('has a README with a working example (an import of the package in a code block)', () => {
    const readme = join(pkg.dir, 'README.md');
    expect(existsSync(readme), `${name}: README.md is missing`).toBe(true);
    const text = readFileSync(readme, 'utf8');
    const blocks = [...text.matchAll(/```(?:ts|js|typescript|javascript)\n([\s\S]*?)```/g)].map((b) => b[1]);
    expect(
      blocks.some((b) => b.includes(`from '${name}`) || b.includes(`from "${name}`)),
      `${name}: README.md needs a ts/js code block that imports '${name}'`,
    ).toBe(true);
  });

  if (isBackend || name === '@llama-ops/conformance') {
    it('takes core as a peer dependency (one core instance per app), never as a dependency', () => {
      expect(m.peerDependencies?.['@llama-ops/core']).toMatch(/^workspace:/);
      expect(m.dependencies?.['@llama-ops/core']).toBeUndefined();
      for (const other of (publicPackages() as Pkg[]).map((p) => p.name)) {
        if (other !== '@llama-ops/core') expect(m.dependencies?.[other], `${name} must not depend on ${other}`).toBeUndefined();
      }
    });
  }

  it('packs only dist/, README, CHANGELOG and package.json, with no workspace: ranges left', () => {
    const packed = expectPackedFiles(name, [root(m).import.replace(/^\.\//, ''), m.types.replace(/^\.\//, '')]);
    if (isBackend) expect(packed.peerDependencies['@llama-ops/core']).toBe(m.peerDependencies['@llama-ops/core'].replace(/^workspace:/, ''));
  });
});

describe.each(BIN_PACKAGES as string[])('%s (a command, not a library)', (name) => {
  const pkg = byName.get(name)!;
  const m = pkg?.manifest ?? {};

  it('declares its bin, files, engines, license and repository, and no library entry points', () => {
    expectCommonMetadata(pkg);
    expect(Object.keys(m.bin ?? {})).toEqual(['llama-ops']);
    expect(m.exports).toBeUndefined();
    expect(m.types).toBeUndefined();
  });

  it('depends on what every command needs; the GPU backend and the benchmark peers are optional peers', () => {
    expect(Object.keys(m.dependencies).sort()).toEqual(['@llama-ops/backend-cpu', '@llama-ops/backend-wasm', '@llama-ops/conformance', '@llama-ops/core']);
    // A caret range: a core minor (allowed to break in 0.x) re-releases the CLI with it.
    for (const range of Object.values<string>(m.dependencies)) expect(range).toBe('workspace:^');
    const optional = ['@llama-ops/backend-webgpu', 'webgpu', 'onnxruntime-node', 'onnxruntime-web'];
    expect(Object.keys(m.peerDependencies).sort()).toEqual([...optional].sort());
    for (const p of optional) expect(m.peerDependenciesMeta?.[p]?.optional, `${p} is an optional peer`).toBe(true);
    // The harness and the ONNX models are private (not on npm): the workspace links them as
    // dev dependencies and `llama-ops bench` imports them on demand; a published manifest
    // cannot name them (changesets refuses a public package that depends on a private one).
    for (const p of ['@llama-ops/bench', '@llama-ops/onnx-peer']) {
      expect(m.devDependencies[p], p).toBe('workspace:*');
      expect(m.dependencies[p] ?? m.peerDependencies[p], p).toBeUndefined();
    }
    expect(m.optionalDependencies, 'optionalDependencies are installed by default; these must not be').toBeUndefined();
    // Like the backends' core range: a 0.x webgpu minor must not turn into a CLI major.
    expect(m.peerDependencies['@llama-ops/backend-webgpu']).toBe('workspace:>=0.1.0 <1.0.0');
  });

  it('has a README that says how to install and run it', () => {
    const text = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    expect(text).toContain(`npm install ${name}`);
    expect(text).toMatch(/npx llama-ops demo/);
  });

  it('packs dist/cli.js (with its hashbang), README, CHANGELOG and package.json only, ranges resolved', () => {
    const packed = expectPackedFiles(name, [m.bin['llama-ops'].replace(/^\.\//, '')]);
    expect(packed.dependencies['@llama-ops/core']).toBe(`^${byName.get('@llama-ops/core')!.manifest.version}`);
    const cli = execFileSync('tar', ['-xzOf', tarballOf(name), `package/${m.bin['llama-ops'].replace(/^\.\//, '')}`], { encoding: 'utf8' });
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

function root(m: Record<string, any>) {
  return m.exports['.'];
}
