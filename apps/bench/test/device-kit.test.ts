/**
 * The device kit end to end: `node scripts/device-kit.mjs build` makes the kit, the kit is
 * copied to an empty directory, and `run.sh --quick` runs there with the network cut
 * (`unshare -n`), a minimal environment and a software Vulkan driver (lavapipe, else
 * SwiftShader). The combined report must hold every contender: webgpu and onnxruntime-web's
 * WebGPU EP on the GPU rows, and wasm, onnxruntime-web and onnxruntime-node at 1, 2, 4, 8
 * and 16 threads. Skipped only where `unshare -n` cannot run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { KitReport } from '../src/kit.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const mesa = path.join(root, '.cache', 'mesa');
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Why `unshare -n` cannot cut the network here, or null when it can. */
function unshareProblem(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the kit carries Linux x86-64 binaries; this is ${process.platform} ${process.arch}`;
  const r = spawnSync('unshare', ['-n', 'cat', '/proc/net/dev'], { encoding: 'utf8' });
  if (r.error) return `unshare is not available (${r.error.message})`;
  if (r.status !== 0) return `unshare -n fails here (${r.stderr.trim() || `exit ${r.status}`}; it needs root or user namespaces)`;
  // Only the loopback interface, and it is down: nothing can be reached.
  const interfaces = r.stdout.split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
  if (interfaces.join(',') !== 'lo') return `unshare -n left interfaces ${interfaces.join(', ')}`;
  return null;
}

const problem = unshareProblem();
const work = mkdtempSync(path.join(tmpdir(), 'llama-ops-kit-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(problem !== null)(`device kit${problem ? ` (skipped: ${problem})` : ''}`, () => {
  it('builds, runs offline from an empty directory, and reports every contender', () => {
    const t0 = performance.now();
    // xz -1: the test is about what the kit does, not its size (the build enforces 60 MiB).
    execFileSync(process.execPath, [path.join(root, 'scripts', 'device-kit.mjs'), 'build', path.join(work, 'built'), '--level', '1'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const buildSeconds = (performance.now() - t0) / 1000;
    const manifest = JSON.parse(readFileSync(path.join(work, 'built', 'manifest.json'), 'utf8')) as { totalBytes: number; parts: Record<string, { bytes: number }> };
    expect(Object.keys(manifest.parts).sort()).toEqual(['bench', 'node', 'ort-node', 'ort-web', 'webgpu']);
    expect(manifest.totalBytes).toBeLessThanOrEqual(60 * 2 ** 20);

    // An empty directory with nothing but the kit in it.
    const empty = path.join(work, 'elsewhere');
    cpSync(path.join(work, 'built'), path.join(empty, 'kit'), { recursive: true });
    const lavapipe = existsSync(path.join(mesa, 'lvp_icd.json'));
    if (!lavapipe && !existsSync(swiftshader)) throw new Error('no software Vulkan driver: run scripts/setup-test-env.mjs (lavapipe in .cache/mesa, or chromium for SwiftShader)');
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: work,
      TMPDIR: work,
      // Mesa's compiled-shader cache, kept between runs: cold, lavapipe spends minutes of
      // CPU compiling onnxruntime's and our shaders (measured: 70 s against 10 s warm for
      // six rows), which says nothing about the kit.
      MESA_SHADER_CACHE_DIR: path.join(root, '.cache', 'mesa-shader-cache'),
      ...(lavapipe
        ? { VK_ICD_FILENAMES: path.join(mesa, 'lvp_icd.json'), LD_LIBRARY_PATH: path.join(mesa, 'usr', 'lib', 'x86_64-linux-gnu') }
        : { VK_ICD_FILENAMES: swiftshader }),
    };
    const t1 = performance.now();
    const run = spawnSync('unshare', ['-n', 'bash', 'kit/run.sh', 'out', '--quick'], { cwd: empty, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    const runSeconds = (performance.now() - t1) / 1000;
    console.log(`device kit: built in ${buildSeconds.toFixed(0)} s (${(manifest.totalBytes / 2 ** 20).toFixed(1)} MiB at xz -1), run.sh --quick offline in ${runSeconds.toFixed(0)} s`);
    expect(run.status, `run.sh failed:\n${run.stderr.slice(-4000)}`).toBe(0);

    const out = path.join(empty, 'out');
    const kit = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8')) as KitReport;
    expect(kit.schema).toBe('llama-ops-bench-kit/1');
    expect(kit.quick).toBe(true);
    expect(kit.missing).toEqual([]);
    expect(kit.stages.map((s) => [s.name, s.rc])).toEqual([
      ['gpu', 0],
      ['threads-1', 0],
      ['threads-2', 0],
      ['threads-4', 0],
      ['threads-8', 0],
      ['threads-16', 0],
    ]);

    const contender = (run: string, id: string) => {
      const c = kit.contenders.find((x) => x.run === run && x.id === id);
      expect(c, `${run} ${id} missing from the report`).toBeDefined();
      expect(c!.available, `${run} ${id}: ${c!.reason}`).toBe(true);
      return c!;
    };
    // GPU rows: our backend on every (reduced) row, both ORT WebGPU columns on some.
    expect(kit.gpu?.gpu?.software).toBe(true);
    // Every row is measured, except f16 rows on SwiftShader (no shader-f16): those are
    // skipped with that reason. Lavapipe (CI) has f16 and measures every row.
    const noF16 = !lavapipe;
    const expectedSkip = (r: { dtype?: string }) => noF16 && r.dtype === 'f16';
    const notMeasured = kit.gpu!.rows.flatMap((r) => {
      const res = r.results.webgpu;
      if (expectedSkip(r)) return res?.status === 'skipped' && /f16 storage is not supported/.test(res.reason) ? [] : [`${r.title}: expected skipped for f16 storage, got ${res?.status ?? 'no result'}`];
      return res?.status === 'ok' ? [] : [`${r.title}: ${res ? `${res.status} (${res.reason})` : 'no result'}`];
    });
    expect(notMeasured, 'webgpu rows not measured').toEqual([]);
    expect(contender('gpu', 'webgpu').measured).toBe(kit.gpu!.rows.filter((r) => !expectedSkip(r)).length);
    expect(contender('gpu', 'webgpu').measured).toBeGreaterThan(0);
    expect(contender('gpu', 'ort-webgpu').measured).toBeGreaterThan(0);
    expect(contender('gpu', 'ort-webgpu-gqa').measured).toBeGreaterThan(0);
    for (const row of kit.gpu!.rows) expect(row.notes).toContain('software adapter: says nothing about GPU speed');
    // wasm rows at every thread count, with both ORT peers (and their GQA columns).
    for (const t of [1, 2, 4, 8, 16]) {
      for (const id of ['wasm', 'ort-web', 'ort-web-gqa', 'ort-node', 'ort-node-gqa']) {
        const c = contender(`threads-${t}`, id);
        expect(c.measured, `threads-${t} ${id}`).toBeGreaterThan(0);
        expect(c.failed, `threads-${t} ${id}`).toBe(0);
      }
    }
    expect(kit.threads.map((t) => t.report.contenders.find((c) => c.id === 'wasm')?.threads)).toEqual([1, 2, 4, 8, 16]);
    expect(kit.scaling.some((s) => s.contender === 'wasm' && s.speedup[16] !== null)).toBe(true);

    const md = readFileSync(path.join(out, 'bench.md'), 'utf8');
    expect(md).toContain('## wasm rows: thread scaling');
    expect(md).toContain('**software adapter: says nothing about GPU speed**');
    expect(readFileSync(path.join(out, 'bench.svg'), 'utf8')).toMatch(/^<svg xmlns/);
    expect(readFileSync(path.join(out, 'kit.log'), 'utf8')).toContain('stage gpu: exit 0');
  }, 20 * 60_000);
});
