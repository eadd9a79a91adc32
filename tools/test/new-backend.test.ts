// The backend template in this repo's layout (`pnpm new-backend <name>` into packages/): it
// builds and typechecks as is; its one test (the conformance kit) reports each unimplemented
// op as failed cases whose message says "not implemented" and where to write it (no crash,
// no skip); and it passes once the kernels delegate to a correct implementation (the cpu
// backend's). The package is generated into a temporary folder with the workspace layout and
// linked as `pnpm install` would link it. third-party-backend.test.ts covers the standalone
// layout (outside the repo, installed with npm).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { generateBackend } from '../new-backend.mjs';
// @ts-expect-error plain ESM helper without type declarations
import { ROOT } from '../lib/workspace.mjs';
import { delegateToCpu, opOf, readReport } from './generated-backend.js';

const NAME = 'kit-check';
const work = mkdtempSync(join(tmpdir(), 'llama-ops-new-backend-'));
const dir = join(work, `backend-${NAME}`);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Real path of a package as resolved from a workspace package (pnpm symlinks). */
function pkgDir(name: string, from: string): string {
  const req = createRequire(join(from, 'package.json'));
  return realpathSync(dirname(req.resolve(`${name}/package.json`)));
}
// One vitest instance for runner and kit: the one @llama-ops/conformance itself imports.
const VITEST = pkgDir('vitest', join(ROOT, 'packages', 'conformance'));
const TSUP = pkgDir('tsup', join(ROOT, 'packages', 'core'));
const TYPESCRIPT = pkgDir('typescript', join(ROOT, 'packages', 'core'));

function link(name: string, target: string) {
  const at = join(dir, 'node_modules', name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
}

function node(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CONFORMANCE_RUNS: '3' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let runCount = 0;
function conformance() {
  const report = join(work, `report-${++runCount}.json`);
  const r = node([join(VITEST, 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`]);
  return { status: r.status, tests: readReport(report, r.out), out: r.out };
}
const delegate = (op: 'rmsnorm' | 'rope' | 'gqa') => delegateToCpu(dir, 'KitCheckStorage', op);

describe('pnpm new-backend (in packages/ of this repo)', () => {
  it('generates @llama-ops/backend-<name> with workspace dependencies, the repo tsconfig, and pnpm next steps; its only test is runConformance', () => {
    const generated = generateBackend({ name: NAME, dir, layout: 'workspace' });
    expect(generated.packageName).toBe(`@llama-ops/backend-${NAME}`);
    expect(generated.nextSteps).toEqual([
      'npx -y pnpm@10.34.8 install',
      `npx -y pnpm@10.34.8 -F @llama-ops/backend-${NAME} build`,
      expect.stringMatching(new RegExp(`^npx -y pnpm@10\\.34\\.8 -F @llama-ops/backend-${NAME} test +# every case fails with "not implemented"`)),
      expect.stringContaining('CONTRIBUTING.md, "Adding a backend"'),
      expect.stringMatching(/^npx -y pnpm@10\.34\.8 changeset /),
    ]);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest.name).toBe(`@llama-ops/backend-${NAME}`);
    expect(manifest.peerDependencies['@llama-ops/core']).toBe('workspace:>=0.1.0 <1.0.0');
    expect(manifest.devDependencies).toMatchObject({ '@llama-ops/core': 'workspace:*', '@llama-ops/conformance': 'workspace:*', vitest: 'catalog:' });
    expect(manifest.repository.directory).toBe(`packages/backend-${NAME}`);
    expect(manifest.scripts.test).toBe('vitest run');
    // The repo's linter (root biome.json), like every package here; tsc stays `typecheck`.
    expect(manifest.scripts.lint).toBe('biome lint --error-on-warnings .');
    expect(manifest.scripts.typecheck).toBe('tsc --noEmit');
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    expect(resolve(dir, tsconfig.extends)).toBe(join(ROOT, 'tsconfig.base.json'));
    const test = readFileSync(join(dir, 'test', 'conformance.test.ts'), 'utf8');
    expect(test).toContain('runConformance({');
    for (const op of ['rmsnorm', 'rope', 'gqa']) {
      expect(readFileSync(join(dir, 'src', `${op}.ts`), 'utf8')).toContain(`throw notImplemented('${op}')`);
    }
    expect(readFileSync(join(dir, 'src', 'not-implemented.ts'), 'utf8')).toContain('new UnsupportedError(');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`await createBackend('${NAME}')`);
    expect(() => generateBackend({ name: NAME, dir })).toThrow(/exists and is not empty/);
    expect(() => generateBackend({ name: 'webgpu', dir: join(work, 'x') })).toThrow(/taken/);
    expect(() => generateBackend({ name: 'other', dir: join(work, 'y'), layout: 'workspace', packageName: 'llama-ops-backend-other' })).toThrow(/in this repo is @llama-ops\/backend-other/);

    // What pnpm install would link in the workspace.
    link('@llama-ops/core', join(ROOT, 'packages', 'core'));
    link('@llama-ops/conformance', join(ROOT, 'packages', 'conformance'));
    link('@llama-ops/backend-cpu', join(ROOT, 'packages', 'backend-cpu'));
    link('vitest', VITEST);
    link('tsup', TSUP);
    link('typescript', TYPESCRIPT);
  });

  it('builds (tsup: ESM + .d.ts) and typechecks as generated', () => {
    const build = node([join(TSUP, 'dist', 'cli-default.js')]);
    expect(build.status, build.out).toBe(0);
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    expect(readFileSync(join(dir, 'dist', 'index.d.ts'), 'utf8')).toContain('createBackend');
    const tsc = node([join(TYPESCRIPT, 'bin', 'tsc'), '--noEmit', '-p', '.']);
    expect(tsc.status, tsc.out).toBe(0);
  });

  it('as generated: every case fails with a "not implemented" UnsupportedError naming the op and its file', () => {
    const { status, tests } = conformance();
    expect(status).not.toBe(0);
    const failed = tests.filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(20);
    console.log(`[new-backend] as generated: ${failed.length} cases fail, e.g. "${failed[0]!.fullName}":\n  ${failed[0]!.failureMessages[0]!.split('\n')[0]}`);
    expect(tests.filter((t) => t.status === 'passed').map((t) => t.fullName)).toEqual([]);
    for (const t of failed) {
      const msg = t.failureMessages.join('\n');
      expect(msg, t.fullName).toMatch(/UnsupportedError|not implemented/);
      expect(msg, t.fullName).toMatch(/(rmsnorm|rope|gqa): not implemented in @llama-ops\/backend-kit-check yet: write the kernel in packages\/backend-kit-check\/src\/(rmsnorm|rope|gqa)\.ts/);
    }
    // Unsupported dtypes are skipped with the kit's reason, not failed.
    for (const t of tests.filter((x) => x.status === 'skipped' || x.status === 'pending')) expect(t.title).toMatch(/skipped: .+/);
    expect(new Set(failed.map(opOf))).toEqual(new Set(['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache']));
  });

  it('with rmsnorm and rope written: those pass, and only gqa (and the KV cache, which runs gqa) still fail', () => {
    delegate('rmsnorm');
    delegate('rope');
    const { status, tests } = conformance();
    expect(status).not.toBe(0);
    const failedOps = new Set(tests.filter((t) => t.status === 'failed').map(opOf));
    expect(failedOps).toEqual(new Set(['gqa', 'kvcache']));
    for (const t of tests.filter((x) => x.status === 'failed')) expect(t.failureMessages.join('\n')).toMatch(/gqa: not implemented/);
    for (const op of ['rmsnorm', 'addRmsnorm', 'rope']) {
      expect(tests.filter((t) => opOf(t) === op && t.status === 'passed').length, op).toBeGreaterThan(0);
    }
  });

  it('with every kernel delegating to a correct implementation, the whole kit passes', () => {
    delegate('gqa');
    const build = node([join(TSUP, 'dist', 'cli-default.js')]);
    expect(build.status, build.out).toBe(0);
    const { status, tests, out } = conformance();
    expect(tests.filter((t) => t.status === 'failed').map((t) => `${t.fullName}\n${t.failureMessages.join('\n')}`)).toEqual([]);
    expect(status, out).toBe(0);
    expect(tests.filter((t) => t.status === 'passed').length).toBeGreaterThan(50);
  });
});
