// Dry run of the release flow: each scenario copies the repo's package.jsons, CHANGELOGs and
// .changeset/config.json into a throwaway directory, writes sample changesets, runs
// `changeset version` there, and checks the resulting versions and CHANGELOG entries.
// It proves the policy of .changeset/config.json (see CONTRIBUTING.md, "Releasing").
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { EXPECTED_PRIVATE, EXPECTED_PUBLIC, ROOT, workspacePackages } from '../lib/workspace.mjs';

type Pkg = { name: string; dir: string; manifest: Record<string, any> };
const require = createRequire(import.meta.url);
const CLI_DIR = realpathSync(dirname(require.resolve('@changesets/cli/package.json')));
const CLI_BIN = join(CLI_DIR, 'bin.js');
const packages = workspacePackages() as Pkg[];
const relDir = new Map(packages.map((p) => [p.name, relative(ROOT, p.dir)]));
const BACKENDS = (EXPECTED_PUBLIC as string[]).filter((n) => n.startsWith('@llama-ops/backend-'));
const CLI = '@llama-ops/cli';

/** The CLI's CHANGELOG entry for a re-release that only takes new versions of its dependencies. */
function expectCliDependencyRelease(dir: string, version: string, deps: string[]) {
  const log = changelog(dir, CLI)!;
  expect(log).toMatch(new RegExp(`^# @llama-ops/cli\\n\\n## ${version.replace(/\./g, '\\.')}\\n\\n### Patch Changes\\n\\n- Updated dependencies`));
  for (const dep of deps) expect(log).toContain(`  - ${dep}`);
  expect(log).toContain('## 0.1.0\n\n### Initial release');
}

const sandboxes: string[] = [];
afterAll(() => sandboxes.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A throwaway copy of what `changeset version` reads and writes. */
function sandbox(options: { pending?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'llama-ops-changesets-'));
  sandboxes.push(dir);
  for (const f of ['package.json', 'pnpm-workspace.yaml']) copyFileSync(join(ROOT, f), join(dir, f));
  for (const p of packages) {
    const to = join(dir, relDir.get(p.name)!);
    mkdirSync(to, { recursive: true });
    copyFileSync(join(p.dir, 'package.json'), join(to, 'package.json'));
    if (existsSync(join(p.dir, 'CHANGELOG.md'))) copyFileSync(join(p.dir, 'CHANGELOG.md'), join(to, 'CHANGELOG.md'));
  }
  mkdirSync(join(dir, '.changeset'));
  copyFileSync(join(ROOT, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'));
  if (options.pending) {
    for (const f of readdirSync(join(ROOT, '.changeset'))) {
      if (f.endsWith('.md') && f !== 'README.md') copyFileSync(join(ROOT, '.changeset', f), join(dir, '.changeset', f));
    }
  }
  // The changelog generator is resolved from the project: give the sandbox the same CLI.
  mkdirSync(join(dir, 'node_modules', '@changesets'), { recursive: true });
  symlinkSync(CLI_DIR, join(dir, 'node_modules', '@changesets', 'cli'), 'dir');
  return dir;
}

function changeset(dir: string, name: string, releases: Record<string, 'major' | 'minor' | 'patch'>, summary: string) {
  const front = Object.entries(releases).map(([pkg, type]) => `"${pkg}": ${type}`).join('\n');
  writeFileSync(join(dir, '.changeset', `${name}.md`), `---\n${front}\n---\n\n${summary}\n`);
}

function version(dir: string) {
  const r = spawnSync(process.execPath, [CLI_BIN, 'version'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  expect(r.status, `changeset version failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
}

function versions(dir: string): Record<string, string> {
  return Object.fromEntries(packages.map((p) => [p.name, JSON.parse(readFileSync(join(dir, relDir.get(p.name)!, 'package.json'), 'utf8')).version]));
}
function manifest(dir: string, name: string) {
  return JSON.parse(readFileSync(join(dir, relDir.get(name)!, 'package.json'), 'utf8'));
}
function changelog(dir: string, name: string): string | null {
  const f = join(dir, relDir.get(name)!, 'CHANGELOG.md');
  return existsSync(f) ? readFileSync(f, 'utf8') : null;
}
const before = Object.fromEntries(packages.map((p) => [p.name, p.manifest.version as string]));

/** Expect exactly these versions to change (to the given values); everything else stays. */
function expectBumps(dir: string, changed: Record<string, string>) {
  expect(versions(dir)).toEqual({ ...before, ...changed });
}

function expectPrivateUntouched(dir: string) {
  for (const name of EXPECTED_PRIVATE as string[]) {
    expect(manifest(dir, name).version, `${name} is private and ignored`).toBe(before[name]);
    expect(changelog(dir, name), `${name} gets no CHANGELOG`).toBeNull();
  }
}

describe('changesets config', () => {
  it('the root changeset/release scripts use a changesets CLI that understands .changeset/config.json', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    // The root scripts run the `changeset` binary of the root devDependency: check that one's version.
    const rootCli = createRequire(join(ROOT, 'package.json')).resolve('@changesets/cli/package.json');
    const cliVersion = JSON.parse(readFileSync(rootCli, 'utf8')).version as string;
    expect(Number(cliVersion.split('.')[1]), `@changesets/cli ${cliVersion}`).toBeGreaterThanOrEqual(29);
    expect(root.scripts.changeset).toBe('changeset');
    expect(root.scripts.release).toBe('pnpm run test && changeset publish');
    expect(root.scripts['new-backend']).toBe('node tools/new-backend.mjs');
  });

  it('the pending changesets of the repo version cleanly (no surprise majors, private packages untouched)', () => {
    const dir = sandbox({ pending: true });
    const pending = readdirSync(join(dir, '.changeset')).filter((f) => f.endsWith('.md'));
    const asked = pending.flatMap((f) => [...readFileSync(join(dir, '.changeset', f), 'utf8').matchAll(/^"([^"]+)":\s*major\s*$/gm)].map((m) => m[1]));
    version(dir);
    const after = versions(dir);
    for (const name of [...BACKENDS, CLI]) {
      if (!asked.includes(name) && !asked.includes('@llama-ops/core')) {
        expect(after[name]!.split('.')[0], `${name} got a major nobody asked for`).toBe(before[name]!.split('.')[0]);
      }
    }
    expectPrivateUntouched(dir);
  });
});

describe('changeset version dry runs', () => {
  it('a backend minor bumps that backend (and re-releases the CLI, which depends on ^0.1.0 of it), and its CHANGELOG gets the entry above the 0.1.0 one', () => {
    const dir = sandbox();
    changeset(dir, 'wasm-relaxed-simd', { '@llama-ops/backend-wasm': 'minor' }, 'Use relaxed SIMD fused multiply-add in the attention kernel.');
    version(dir);
    expectBumps(dir, { '@llama-ops/backend-wasm': '0.2.0', [CLI]: '0.1.1' });
    expectCliDependencyRelease(dir, '0.1.1', ['@llama-ops/backend-wasm@0.2.0']);
    expect(manifest(dir, CLI).dependencies['@llama-ops/backend-wasm']).toBe('workspace:^');
    const log = changelog(dir, '@llama-ops/backend-wasm')!;
    expect(log).toMatch(/^# @llama-ops\/backend-wasm\n\n## 0\.2\.0\n\n### Minor Changes\n\n- Use relaxed SIMD fused multiply-add in the attention kernel\.\n/);
    expect(log).toContain('## 0.1.0\n\n### Initial release');
    expect(log.indexOf('## 0.2.0')).toBeLessThan(log.indexOf('## 0.1.0'));
    for (const other of (EXPECTED_PUBLIC as string[]).filter((n) => n !== '@llama-ops/backend-wasm' && n !== CLI)) {
      expect(changelog(dir, other) ?? '', other).not.toContain('0.2.0');
    }
    expect(readdirSync(join(dir, '.changeset')).filter((f) => f.endsWith('.md'))).toEqual([]);
    expectPrivateUntouched(dir);
  });

  it('a core minor moves core and conformance together (fixed), re-releases the CLI, and leaves every backend alone (peer still in range)', () => {
    const dir = sandbox();
    changeset(dir, 'core-softcap', { '@llama-ops/core': 'minor' }, 'Add `gqa(..., { softcap })` validation for negative values.');
    version(dir);
    expectBumps(dir, { '@llama-ops/core': '0.2.0', '@llama-ops/conformance': '0.2.0', [CLI]: '0.1.1' });
    expectCliDependencyRelease(dir, '0.1.1', ['@llama-ops/core@0.2.0', '@llama-ops/conformance@0.2.0']);
    expect(changelog(dir, '@llama-ops/core')).toContain('## 0.2.0\n\n### Minor Changes\n\n- Add `gqa(..., { softcap })` validation for negative values.');
    expect(changelog(dir, '@llama-ops/conformance')).toContain('## 0.2.0');
    for (const name of BACKENDS) {
      // Each backend's published peer range still admits the new core: no re-release needed.
      const range = manifest(dir, name).peerDependencies['@llama-ops/core'] as string;
      expect(range).toBe(packages.find((p) => p.name === name)!.manifest.peerDependencies['@llama-ops/core']);
      expect(changelog(dir, name) ?? '', name).not.toContain('0.2.0');
    }
    expectPrivateUntouched(dir);
  });

  it('patches of core and one backend in one changeset bump exactly those (and conformance, fixed to core; the CLI\'s ^0.1.0 still admits them)', () => {
    const dir = sandbox();
    changeset(dir, 'fix-eps', { '@llama-ops/core': 'patch', '@llama-ops/backend-cpu': 'patch' }, 'Fix eps handling of tiny rows.');
    version(dir);
    expectBumps(dir, { '@llama-ops/core': '0.1.1', '@llama-ops/conformance': '0.1.1', '@llama-ops/backend-cpu': '0.1.1' });
    expect(changelog(dir, '@llama-ops/backend-cpu')).toContain('## 0.1.1\n\n### Patch Changes\n\n- Fix eps handling of tiny rows.');
    expectPrivateUntouched(dir);
  });

  it('a core major leaves every backend peer range, so every backend (and the CLI, a peer of webgpu) gets a major that names the new core', () => {
    const dir = sandbox();
    changeset(dir, 'core-2', { '@llama-ops/core': 'major' }, 'Rename `KernelBackend.copy` to `copyRange`.');
    version(dir);
    const bumped = Object.fromEntries([...BACKENDS, CLI, '@llama-ops/core', '@llama-ops/conformance'].map((n) => [n, '1.0.0']));
    expectBumps(dir, bumped);
    for (const name of [...BACKENDS, CLI]) {
      expect(changelog(dir, name), name).toMatch(/## 1\.0\.0\n\n### (Major|Patch) Changes\n\n- Updated dependencies.*\n {2}- @llama-ops\/core@1\.0\.0/s);
    }
    expectPrivateUntouched(dir);
  });
});

describe('the CLI, a public package that depends on core and two backends', () => {
  it('a CLI patch bumps the CLI only', () => {
    const dir = sandbox();
    changeset(dir, 'cli-did-you-mean', { [CLI]: 'patch' }, 'Suggest the closest command for a typo.');
    version(dir);
    expectBumps(dir, { [CLI]: '0.1.1' });
    expect(changelog(dir, CLI)).toContain('## 0.1.1\n\n### Patch Changes\n\n- Suggest the closest command for a typo.');
    expectPrivateUntouched(dir);
  });
});
