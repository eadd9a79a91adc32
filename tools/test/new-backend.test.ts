// The backend template: `pnpm new-backend` output builds and typechecks as is; its one test
// (the conformance kit) reports each unimplemented op as failed cases whose message says
// "not implemented" and where to write it (no crash, no skip); and it passes once the kernels
// delegate to a correct implementation (the cpu backend's).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { generateBackend } from '../new-backend.mjs';
// @ts-expect-error plain ESM helper without type declarations
import { ROOT } from '../lib/workspace.mjs';

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

interface Assertion {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}

let runCount = 0;
function conformance() {
  const report = join(work, `report-${++runCount}.json`);
  const r = node([join(VITEST, 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`]);
  expect(existsSync(report), `vitest wrote no report (exit ${r.status}):\n${r.out}`).toBe(true);
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const files = json.testResults as Array<{ status: string; message: string; assertionResults: Assertion[] }>;
  // A crash (createBackend throwing, an import error) shows as a file-level message and no tests.
  expect(files.map((f) => f.message).filter(Boolean), 'file-level errors').toEqual([]);
  const tests = files.flatMap((f) => f.assertionResults);
  return { status: r.status, tests, out: r.out };
}
const opOf = (t: Assertion) => t.ancestorTitles[1] ?? '';
const delegate = (op: 'rmsnorm' | 'rope' | 'gqa') =>
  writeFileSync(
    join(dir, 'src', `${op}.ts`),
    `// Test only: delegate to the cpu backend's kernel (same storage: Float32Array).
import { createCpuKernels } from '@llama-ops/backend-cpu';
import type { ${op === 'gqa' ? 'Gqa' : op === 'rope' ? 'Rope' : 'Rmsnorm'}KernelParams } from '@llama-ops/core';
import type { KitCheckStorage } from './memory.js';

const cpu = createCpuKernels();
export function ${op}(p: ${op === 'gqa' ? 'Gqa' : op === 'rope' ? 'Rope' : 'Rmsnorm'}KernelParams<KitCheckStorage>): void {
  cpu.${op}(p);
}
`,
  );

describe('pnpm new-backend', () => {
  it('generates a package whose only test is runConformance, with kernels that throw UnsupportedError', () => {
    const r = node([join(ROOT, 'tools', 'new-backend.mjs'), NAME, '--dir', dir], work);
    expect(r.status, r.out).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest.name).toBe(`@llama-ops/backend-${NAME}`);
    expect(manifest.peerDependencies['@llama-ops/core']).toMatch(/^workspace:/);
    expect(manifest.scripts.test).toBe('vitest run');
    const test = readFileSync(join(dir, 'test', 'conformance.test.ts'), 'utf8');
    expect(test).toContain('runConformance({');
    for (const op of ['rmsnorm', 'rope', 'gqa']) {
      expect(readFileSync(join(dir, 'src', `${op}.ts`), 'utf8')).toContain(`throw notImplemented('${op}')`);
    }
    expect(readFileSync(join(dir, 'src', 'not-implemented.ts'), 'utf8')).toContain('new UnsupportedError(');
    expect(() => generateBackend({ name: NAME, dir })).toThrow(/exists and is not empty/);
    expect(() => generateBackend({ name: 'webgpu', dir: join(work, 'x') })).toThrow(/taken/);

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
