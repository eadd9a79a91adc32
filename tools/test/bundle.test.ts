// Bundling for the browser: an app that imports core + ONE backend must get that backend
// only. esbuild's metafile lists every module that went into the bundle, so "no WebGPU or
// CPU-backend code" is checked on the inputs, not guessed from strings; with
// platform: 'browser' and nothing external, any static import of a Node built-in fails the
// build, and the metafile must show no external import left either.
import { builtinModules } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { ROOT } from '../lib/workspace.mjs';

const TOOLS = join(ROOT, 'tools');
const out = mkdtempSync(join(tmpdir(), 'llama-ops-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

async function bundle(backend: 'wasm' | 'webgpu' | { source: string }) {
  const entry =
    typeof backend === 'string'
      ? { entryPoints: [join(TOOLS, 'fixtures', `bundle-${backend}.js`)] }
      : { stdin: { contents: backend.source, resolveDir: join(TOOLS, 'fixtures'), sourcefile: 'fixtures/stdin.js' } };
  const result = await build({
    ...entry,
    absWorkingDir: TOOLS,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  return { code, metafile: result.metafile as Metafile, warnings: result.warnings };
}

/** Which package each bundled input belongs to (workspace folder or node_modules name). */
function packagesOf(metafile: Metafile): Set<string> {
  const pkgs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const nm = input.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/);
    const ws = input.match(/(?:^|\/)packages\/([^/]+)\//);
    if (ws) pkgs.add(`@llama-ops/${ws[1]}`);
    else if (nm) pkgs.add(nm[1]!);
    else pkgs.add(input.startsWith('fixtures/') ? '(entry)' : input);
  }
  return pkgs;
}

function externalImports(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
}

function report(backend: string, code: string) {
  const raw = Buffer.byteLength(code);
  const gz = gzipSync(code, { level: 9 }).length;
  console.log(`[bundle] core + backend-${backend}: ${(raw / 1024).toFixed(1)} KiB minified, ${(gz / 1024).toFixed(1)} KiB gzip`);
}

describe('the bundle check itself (negative control)', () => {
  it('sees the CPU backend and the WebGPU backend when an entry does import them', async () => {
    const { metafile } = await bundle({
      source: "export * from '@llama-ops/backend-cpu'; export { createBackend as gpu } from '@llama-ops/backend-webgpu';",
    });
    const pkgs = packagesOf(metafile);
    expect(pkgs.has('@llama-ops/backend-cpu')).toBe(true);
    expect(pkgs.has('@llama-ops/backend-webgpu')).toBe(true);
  });
  it('fails to bundle a static import of a Node built-in for the browser', async () => {
    await expect(bundle({ source: "import { cpus } from 'node:os'; export const n = cpus().length;" })).rejects.toThrow(/node:os/);
  });
});

describe('browser bundle of core + backend-wasm', () => {
  it('contains core and the wasm backend only: no WebGPU, no CPU backend, no Node built-in', async () => {
    const { code, metafile } = await bundle('wasm');
    report('wasm', code);
    const pkgs = packagesOf(metafile);
    expect([...pkgs].sort()).toEqual(['(entry)', '@llama-ops/backend-wasm', '@llama-ops/core']);
    expect(externalImports(metafile)).toEqual([]);
    for (const input of Object.keys(metafile.inputs)) expect(builtins.has(input), input).toBe(false);
    // WebGPU code would show as WGSL entry points or adapter requests.
    expect(code).not.toMatch(/@compute\s*@workgroup_size/);
    expect(code).not.toContain('requestAdapter');
  });

  it('still works after bundling (rmsnorm through the bundled wasm backend)', async () => {
    const { code } = await bundle('wasm');
    const file = join(out, 'wasm-bundle.mjs');
    writeFileSync(file, code);
    const mod = (await import(pathToFileURL(file).href)) as {
      normalize: (x: Float32Array, w: Float32Array, hidden: number) => Promise<Float32Array>;
    };
    const hidden = 64;
    const x = Float32Array.from({ length: 2 * hidden }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: hidden }, (_, i) => 1 + i / hidden);
    const y = await mod.normalize(x, w, hidden);
    for (let r = 0; r < 2; r++) {
      let ss = 0;
      for (let i = 0; i < hidden; i++) ss += x[r * hidden + i]! ** 2;
      const inv = 1 / Math.sqrt(ss / hidden + 1e-6);
      for (let i = 0; i < hidden; i++) {
        const ref = x[r * hidden + i]! * inv * w[i]!;
        expect(Math.abs(y[r * hidden + i]! - ref)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
      }
    }
  });
});

describe('browser bundle of core + backend-webgpu', () => {
  it('contains core and the webgpu backend only: no wasm or CPU backend, no Dawn, no Node built-in', async () => {
    const { code, metafile } = await bundle('webgpu');
    report('webgpu', code);
    const pkgs = packagesOf(metafile);
    expect([...pkgs].sort()).toEqual(['(entry)', '@llama-ops/backend-webgpu', '@llama-ops/core']);
    expect(externalImports(metafile)).toEqual([]);
    for (const input of Object.keys(metafile.inputs)) expect(builtins.has(input), input).toBe(false);
    expect(code).not.toMatch(/WebAssembly\.(instantiate|compile)/);
  });
});
