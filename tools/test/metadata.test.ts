// Publishing metadata of every workspace package, and what each tarball really contains.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { EXPECTED_PRIVATE, EXPECTED_PUBLIC, publicPackages, workspacePackages } from '../lib/workspace.mjs';
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

describe.each((publicPackages() as Pkg[]).map((p) => p.name))('%s', (name) => {
  const pkg = byName.get(name)!;
  const m = pkg?.manifest ?? {};
  const isBackend = name.startsWith('@llama-ops/backend-');

  it('declares ESM exports with types first, types, files, sideEffects, engines, license, repository', () => {
    expect(m.type).toBe('module');
    const root = m.exports?.['.'];
    expect(root, 'exports["."]').toBeTypeOf('object');
    for (const [subpath, target] of Object.entries<any>(m.exports)) {
      if (typeof target === 'string') continue; // "./package.json"
      expect(Object.keys(target)[0], `exports["${subpath}"]: "types" must come first`).toBe('types');
      expect(target.require, `exports["${subpath}"]: ESM only, no require condition`).toBeUndefined();
    }
    expect(m.types).toBe(root.types);
    expect(m.files).toContain('dist');
    expect(m.sideEffects).toBe(false);
    expect(m.engines?.node).toBe('>=20');
    expect(m.license).toBe('MIT');
    expect(m.repository).toMatchObject({ type: 'git', url: 'git+https://github.com/llama-ops/llama-ops.git' });
    expect(m.repository.directory).toBe(pkg.dir.slice(pkg.dir.indexOf('packages/')));
    expect(m.publishConfig?.access).toBe('public');
    expect(m.files).toContain('README.md');
    expect(m.files).toContain('CHANGELOG.md');
    expect(Array.isArray(m.keywords) && m.keywords.length > 0).toBe(true);
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
    const tgz = tarballOf(name);
    const files = tarFiles(tgz);
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    if (existsSync(join(pkg.dir, 'CHANGELOG.md'))) expect(files).toContain('CHANGELOG.md');
    expect(files).toContain(root(m).import.replace(/^\.\//, ''));
    expect(files).toContain(m.types.replace(/^\.\//, ''));
    const stray = files.filter((f) => !/^(dist\/|README\.md$|package\.json$|CHANGELOG\.md$|LICENSE)/.test(f));
    expect(stray, 'files outside dist/ in the tarball').toEqual([]);
    const packed = tarManifest(tgz);
    expect(JSON.stringify(packed)).not.toContain('workspace:');
    expect(JSON.stringify(packed)).not.toContain('catalog:');
    if (isBackend) expect(packed.peerDependencies['@llama-ops/core']).toBe(m.peerDependencies['@llama-ops/core'].replace(/^workspace:/, ''));
  });
});

function root(m: Record<string, any>) {
  return m.exports['.'];
}
