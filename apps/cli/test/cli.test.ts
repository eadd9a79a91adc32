import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cli, cliAsync, json } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const COMMANDS = ['demo', 'backends', 'run', 'verify', 'bench'];

describe('help and version', () => {
  it('--help lists every command and exits 0', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c} `);
    expect(r.stderr).toBe('');
  });

  it('no command prints the help and exits 2 (a usage error)', () => {
    const r = cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage: llama-ops <command>');
  });

  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each(COMMANDS)('%s --help shows usage, the common options and examples', (command) => {
    const r = cli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: llama-ops ${command}`);
    expect(r.stdout).toContain('--backend NAME');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toMatch(new RegExp(`\\n  llama-ops ${command}`));
  });

  it('run --help documents every SPEC option', () => {
    const r = cli(['run', '--help']);
    for (const flag of [
      '--shape', '--eps', '--weight-offset', '--positions', '--theta', '--rotary-dim', '--interleaved', '--rope-scaling',
      '--factor', '--low-freq-factor', '--high-freq-factor', '--original-max-position-embeddings', '--beta-fast',
      '--short-factor', '--heads', '--kv-heads', '--head-dim', '--seq-q', '--seq-kv', '--batch', '--scale',
      '--[no-]causal', '--kv-length', '--query-offset', '--window', '--softcap', '--sinks', '--mask', '--input', '--out',
      '--seed', '--check',
    ]) {
      expect(r.stdout, flag).toContain(flag);
    }
  });
});

describe('usage errors exit 2 with a message on stderr and nothing on stdout', () => {
  it.concurrent.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['run', 'rmsnorm', '--bogus'], /unknown option '--bogus'/],
    [['run'], /missing the op/],
    [['run', 'softmax'], /unknown op 'softmax'/],
    [['run', 'gqa', '--heads', 'many'], /--heads: expected a number, got 'many'/],
    [['run', 'rmsnorm', '--heads', '8'], /--heads does not apply to rmsnorm/],
    [['run', 'rope', '--rope-scaling', 'llama3', '--factor', '8'], /--rope-scaling llama3 needs --low-freq-factor/],
    [['run', 'gqa', '--heads', '6', '--kv-heads', '4'], /Hq % Hkv/],
    [['demo', '--steps=-1'], /--steps: expected at least 0/],
    [['backends', 'extra'], /unexpected argument 'extra'/],
  ])('%j', async (args, message) => {
    const r = await cliAsync(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Run 'llama-ops .*--help' for usage/);
    expect(r.stdout).toBe('');
  });

  it('a mistyped --backend is a usage error with the backend it looks like', () => {
    const r = cli(['demo', '--backend', 'wsam']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--backend: no backend named 'wsam' is installed (did you mean 'wasm'?)");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('any other backend name is passed on: one not installed says which package to install (exit 1)', () => {
    const r = cli(['run', 'rmsnorm', '--backend', 'mygpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the mygpu backend is not installed — install it with: npm install @llama-ops/backend-mygpu');
    expect(r.stdout).toBe('');
  });

  it('a name no package could have is refused before anything runs', () => {
    const r = cli(['demo', '--backend', '../x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--backend: '../x' is not a backend name");
  });

  it('LLAMA_OPS_BACKEND is read, and checked the same way', () => {
    const bad = cli(['backends'], { env: { LLAMA_OPS_BACKEND: 'wbegpu' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("LLAMA_OPS_BACKEND: no backend named 'wbegpu' is installed (did you mean 'webgpu'?)");
    const good = json<{ backends: { name: string }[] }>(cli(['backends', '--json'], { env: { LLAMA_OPS_BACKEND: 'cpu' } }));
    expect(good.backends.map((b) => b.name)).toEqual(['cpu']);
  });
});

describe('did you mean', () => {
  it.concurrent.each([
    [['bnech'], "unknown command 'bnech' (did you mean 'bench'?)"],
    [['verfiy', '--backend', 'cpu'], "unknown command 'verfiy' (did you mean 'verify'?)"],
    [['help', 'rn'], "unknown command 'rn' (did you mean 'run'?)"],
    [['run', 'rmsnorm', '--shap', '4,8'], "unknown option '--shap' (did you mean '--shape'?)"],
    [['run', 'gqa', '--kv-head', '2'], "unknown option '--kv-head' (did you mean '--kv-heads'?)"],
    [['demo', '--step', '2'], "unknown option '--step' (did you mean '--steps'?)"],
    [['run', 'rmsnrom'], "unknown op 'rmsnrom' (did you mean 'rmsnorm'?)"],
    [['run', 'rope', '--rope-scaling', 'lama3'], "--rope-scaling: unknown type 'lama3' (did you mean 'llama3'?)"],
    [['verify', '--op', 'gaq'], "--op: unknown op 'gaq' (did you mean 'gqa'?)"],
    [['bench', '--backend', 'cpuu'], "--backend: no backend named 'cpuu' is installed (did you mean 'cpu'?)"],
  ])('%j', async (args, message) => {
    const r = await cliAsync(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('says nothing when no known word is close', () => {
    const r = cli(['frobnicate']);
    expect(r.stderr).toContain("unknown command 'frobnicate'\n");
  });
});

describe('--json failures: stdout holds one JSON error document', () => {
  it.concurrent.each([
    [['run', 'rmsnorm', '--bogus', '--json'], 2, 'E_USAGE', /unknown option '--bogus'/],
    [['run', 'gqa', '--json', '--input', 'q=no-such.npy'], 2, 'E_INPUT', /--input q=no-such\.npy: no such file/],
    [['run', 'rmsnorm', '--json', '--backend', 'mygpu'], 1, 'E_BACKEND_UNAVAILABLE', /mygpu backend is not installed/],
    [['demo', '--json', '--backend', 'wsam'], 2, 'E_USAGE', /did you mean 'wasm'/],
    [['run', 'gqa', '--json', '--heads', '6', '--kv-heads', '4', '--backend', 'cpu'], 2, 'E_USAGE', /Hq % Hkv/],
  ])('%j', async (args, exit, code, message) => {
    const r = await cliAsync(args as string[]);
    expect(r.code).toBe(exit);
    const doc = json<{ error: { code: string; message: string; exitCode: number } }>(r);
    expect(Object.keys(doc)).toEqual(['error']);
    expect(doc.error.code).toBe(code);
    expect(doc.error.message).toMatch(message);
    expect(doc.error.exitCode).toBe(exit);
    // The person reading the terminal still gets the sentence.
    expect(r.stderr).toMatch(message);
  });

  it('a backend failure lists the attempts', () => {
    const doc = json<{ error: { attempts: { name: string; install?: string }[] } }>(cli(['demo', '--json', '--backend', 'mygpu']));
    expect(doc.error.attempts).toEqual([expect.objectContaining({ name: 'mygpu', installed: false, install: 'npm install @llama-ops/backend-mygpu' })]);
  });
});

interface BackendRow {
  name: string;
  priority: number;
  installed: boolean;
  available: boolean;
  reason?: string;
  install?: string;
  software?: boolean;
  capabilities?: { dtypes: string[] };
}

describe('backends', () => {
  it('--json lists the three built-ins best first, and cpu is available with f32', () => {
    const r = cli(['backends', '--json']);
    expect(r.code).toBe(0);
    const out = json<{ auto: string; backends: BackendRow[] }>(r);
    expect(out.backends.map((b) => b.name)).toEqual(['webgpu', 'wasm', 'cpu']);
    expect(out.backends.map((b) => b.priority)).toEqual([30, 20, 10]);
    const cpu = out.backends.find((b) => b.name === 'cpu')!;
    expect(cpu).toMatchObject({ installed: true, available: true });
    expect(cpu.capabilities!.dtypes).toContain('f32');
    // auto picks the first available one (a software GPU only when nothing else works),
    // and every unavailable one says why.
    const pick = out.backends.find((b) => b.available && !b.software) ?? out.backends.find((b) => b.available)!;
    expect(out.auto).toBe(pick.name);
    for (const b of out.backends.filter((x) => !x.available)) expect(b.reason, b.name).toMatch(/\S/);
  });

  it('the text listing says which backend auto picks', () => {
    const r = cli(['backends']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cpu\s+available/);
    expect(r.stdout).toContain('← auto picks this');
  });
});

describe('a backend that is not installed', () => {
  // A minimal install: the built CLI with core and backend-cpu only, as `npm install
  // @llama-ops/cli` without the optional backends would leave it.
  const root = mkdtempSync(join(tmpdir(), 'llama-ops-cli-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const here = dirname(fileURLToPath(import.meta.url));
  const scope = join(root, 'node_modules', '@llama-ops');
  mkdirSync(join(root, 'dist'), { recursive: true });
  mkdirSync(scope, { recursive: true });
  copyFileSync(CLI, join(root, 'dist', 'cli.js'));
  // Copies, not links: each package then resolves its imports inside this tree (one core),
  // as in an npm install.
  for (const name of ['core', 'backend-cpu', 'conformance']) {
    const from = realpathSync(join(here, '..', 'node_modules', '@llama-ops', name));
    cpSync(join(from, 'dist'), join(scope, name, 'dist'), { recursive: true });
    copyFileSync(join(from, 'package.json'), join(scope, name, 'package.json'));
  }
  // The kit's own dependency (fast-check, and pure-rand under it), as npm would hoist them.
  const fastCheck = realpathSync(join(here, '..', '..', '..', 'packages', 'conformance', 'node_modules', 'fast-check'));
  for (const dep of ['fast-check', 'pure-rand']) cpSync(join(dirname(fastCheck), dep), join(root, 'node_modules', dep), { recursive: true, dereference: true });
  // A third-party backend as its author would publish it: @llama-ops/backend-<name>.
  mkdirSync(join(scope, 'backend-fake'));
  writeFileSync(join(scope, 'backend-fake', 'package.json'), JSON.stringify({ name: '@llama-ops/backend-fake', version: '1.0.0', type: 'module', exports: './index.js' }));
  writeFileSync(join(scope, 'backend-fake', 'index.js'), "export { createBackend } from '@llama-ops/backend-cpu';\n");
  const bin = join(root, 'dist', 'cli.js');
  // A stand-in for the harness (its API, no measuring), for what the CLI does around it.
  const fakeBench = join(root, 'fake-bench');
  mkdirSync(fakeBench);
  writeFileSync(join(fakeBench, 'package.json'), JSON.stringify({ name: '@llama-ops/bench', version: '0.0.0', type: 'module', exports: './index.js' }));
  writeFileSync(
    join(fakeBench, 'index.js'),
    [
      "export const ROWS = [{ id: 'rmsnorm-1x8', title: 'RMSNorm [1, 8]' }];",
      "export const PEER_NAMES = ['ort-web', 'ort-node'];",
      'export const selectRows = (f) => ROWS.filter((r) => f.some((x) => r.id.includes(x)));',
      "export const runBench = async (options) => ({ schema: 'fake', options: { ...options, onProgress: undefined }, rows: [], contenders: [], targets: [] });",
      "export const formatMarkdown = () => ''; export const renderSvg = () => ''; export const formatJson = (r) => JSON.stringify(r);",
      'export const throughput = () => 0;',
    ].join('\n'),
  );

  it('is reported in one line with its install command, not a stack trace (exit 1)', () => {
    const r = cli(['run', 'rmsnorm', '--backend', 'wasm'], { bin });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the wasm backend is not installed — install it with: npm install @llama-ops/backend-wasm');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('auto falls through to cpu and says why', () => {
    const r = cli(['run', 'rmsnorm', '--shape', '2,64', '--repeat', '0'], { bin });
    expect(r.code).toBe(0);
    // ... and that cpu proved itself on this machine (the conformance kit's quick probe).
    expect(r.stderr).toMatch(/backend: cpu \(auto: webgpu not installed, wasm not installed, passed the quick conformance probe (in \d+ ms|\(cached verdict\))\)/);
  });

  it('--backend NAME hands a third-party backend to core, which resolves @llama-ops/backend-NAME', async () => {
    // Whether this core resolves installed backend packages by name decides what the CLI can do.
    const core = (await import(pathToFileURL(join(scope, 'core', 'dist', 'index.js')).href)) as typeof import('@llama-ops/core');
    const resolves = await core.createBackend('fake').then(
      (b) => {
        b.dispose();
        return true;
      },
      () => false,
    );
    const r = cli(['run', 'rmsnorm', '--shape', '2,8', '--backend', 'fake', '--check', '--repeat', '0'], { bin });
    if (resolves) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/check y: max error .* PASS/);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('the fake backend is not installed — install it with: npm install @llama-ops/backend-fake');
    }
  });

  it('bench without the optional @llama-ops/bench says which package it needs (exit 1)', () => {
    const r = cli(['bench', '--quick', '--backend', 'cpu'], { bin });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('llama-ops bench needs the benchmark harness @llama-ops/bench, which is not installed');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bench --compare with the harness but no onnxruntime says which packages to add', () => {
    symlinkSync(fakeBench, join(scope, 'bench'), 'dir');
    try {
      const r = cli(['bench', '--compare', '--json', '--backend', 'cpu'], { bin });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('--compare: onnxruntime is measured only where installed; add onnxruntime-web and onnxruntime-node with: npm install onnxruntime-web onnxruntime-node');
      expect(json<{ options: { peers: string[]; backends: string[] } }>(r).options).toMatchObject({ peers: ['ort-web', 'ort-node'], backends: ['cpu'] });
    } finally {
      rmSync(join(scope, 'bench'));
    }
  });

  it('backends lists webgpu with both packages it needs in Node', () => {
    const out = json<{ backends: BackendRow[] }>(cli(['backends', '--json'], { bin }));
    expect(out.backends.find((b) => b.name === 'webgpu')).toMatchObject({ installed: false, install: 'npm install @llama-ops/backend-webgpu webgpu' });
  });

  it('backends lists it as not installed, with the install command', () => {
    const out = json<{ backends: BackendRow[] }>(cli(['backends', '--json'], { bin }));
    const wasm = out.backends.find((b) => b.name === 'wasm')!;
    expect(wasm).toMatchObject({ installed: false, available: false, install: 'npm install @llama-ops/backend-wasm' });
  });
});
