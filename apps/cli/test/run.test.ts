import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RMSNORM_EPS, DEFAULT_ROPE_THETA } from '@llama-ops/core';
import { referenceRmsnorm } from '@llama-ops/conformance/reference';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy, writeNpy } from '../src/npy.js';
import { cli, cliAsync, json } from './helpers.js';

interface CheckJson {
  maxError: number;
  tolerance: number;
  worstRatio: number;
  pass: boolean;
}
interface RunJson {
  op: string;
  backend: string;
  dtype: string;
  params: Record<string, unknown>;
  outputs: Record<string, { shape: number[]; min: number; max: number; mean: number; checksum: string; nonFinite: number; file?: string }>;
  time: { firstMs: number; medianMs: number; runs: number };
  check?: Record<string, CheckJson>;
  pass?: boolean;
}

const dir = mkdtempSync(join(tmpdir(), 'llama-ops-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const available = (json<{ backends: { name: string; available: boolean }[] }>(cli(['backends', '--json'])).backends)
  .filter((b) => b.available && (b.name === 'cpu' || b.name === 'wasm'))
  .map((b) => b.name);

/** Each op with options that change the numbers, small enough to run in well under a second. */
const CASES: [string, string[]][] = [
  ['rmsnorm', ['--shape', '3,512', '--eps', '1e-5', '--weight-offset', '1', '--residual']],
  ['add-rmsnorm', ['--shape', '2,3,256']],
  ['rope', ['--shape', '2,5,4,64', '--theta', '500000', '--positions', '8190', '--rope-scaling', 'llama3', '--factor', '8',
    '--low-freq-factor', '1', '--high-freq-factor', '4', '--original-max-position-embeddings', '8192']],
  ['rope', ['--shape', '1,3,2,32', '--positions', '0,7,131072', '--rotary-dim', '16', '--interleaved',
    '--rope-scaling', 'yarn', '--factor', '4', '--original-max-position-embeddings', '4096']],
  ['gqa', ['--heads', '8', '--kv-heads', '2', '--head-dim', '32', '--seq-q', '4', '--seq-kv', '24', '--batch', '2', '--kv-length', '20,11']],
  ['gqa', ['--heads', '4', '--kv-heads', '1', '--head-dim', '16', '--seq-q', '6', '--seq-kv', '16', '--window', '5', '--softcap', '20',
    '--sinks', '--mask', '--scale', '0.3']],
  ['gqa', ['--heads', '4', '--kv-heads', '4', '--head-dim', '16', '--head-dim-v', '8', '--seq-q', '3', '--seq-kv', '9', '--no-causal', '--query-offset', '2']],
];

describe.each(available)('run --check on %s', (backend) => {
  it.each(CASES)('%s %j passes against the float64 reference', (op, flags) => {
    const r = cli(['run', op, ...flags, '--check', '--json', '--repeat', '1', '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    const out = json<RunJson>(r);
    expect(out.op).toBe(op);
    expect(out.backend).toBe(backend);
    expect(out.pass).toBe(true);
    for (const [name, c] of Object.entries(out.check!)) {
      expect(c.pass, name).toBe(true);
      expect(c.maxError).toBeLessThanOrEqual(c.tolerance);
    }
    for (const s of Object.values(out.outputs)) expect(s.nonFinite).toBe(0);
  });
});

describe('run', () => {
  it('prints a readable summary with the check verdict', () => {
    const r = cli(['run', 'rmsnorm', '--shape', '4,256', '--check', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rmsnorm on cpu \(f32\)/);
    expect(r.stdout).toMatch(/y\s+shape \[4, 256\]\s+min -?\d.*max .*mean .*checksum [0-9a-f]{8}/);
    expect(r.stdout).toMatch(/time .* \(median of 5 runs/);
    expect(r.stdout).toMatch(/check y: max error .* \(tolerance 1e-5 \* max\(1, \|ref\|\)\) PASS/);
    expect(r.stderr).toContain('backend: cpu (as requested)');
  });

  it('is reproducible: the same --seed gives the same checksum, another seed does not', () => {
    const sum = (seed: string) => json<RunJson>(cli(['run', 'gqa', '--heads', '4', '--kv-heads', '2', '--head-dim', '8', '--seed', seed, '--json', '--repeat', '0', '--backend', 'cpu'])).outputs.y.checksum;
    expect(sum('7')).toBe(sum('7'));
    expect(sum('7')).not.toBe(sum('8'));
  });

  it('reads inputs from .npy and writes outputs as .npy that match the float64 reference', () => {
    const x = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i) * (i % 7));
    const weight = Float32Array.from({ length: 64 }, (_, i) => 0.5 + i / 64);
    writeNpy(join(dir, 'x.npy'), x, [2, 64]);
    writeNpy(join(dir, 'w.npy'), weight, [64]);
    const outPath = join(dir, 'y.npy');
    const r = cli(['run', 'rmsnorm', '--input', `x=${join(dir, 'x.npy')}`, '--input', `weight=${join(dir, 'w.npy')}`, '--eps', '1e-5',
      '--out', outPath, '--json', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<RunJson>(r).outputs.y.file).toBe(outPath);
    const y = readNpy(outPath);
    expect(y.shape).toEqual([2, 64]);
    const ref = referenceRmsnorm(x, [2, 64], weight, { eps: 1e-5 });
    for (let i = 0; i < ref.length; i++) expect(Math.abs(y.data[i] - ref[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref[i])));
  });

  it('writes both outputs of add-rmsnorm with --out NAME=FILE', () => {
    const r = cli(['run', 'add-rmsnorm', '--shape', '2,32', '--out', `y=${join(dir, 'ay.npy')}`, '--out', `sum=${join(dir, 'as.npy')}`,
      '--repeat', '0', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(readNpy(join(dir, 'ay.npy')).shape).toEqual([2, 32]);
    expect(readNpy(join(dir, 'as.npy')).shape).toEqual([2, 32]);
  });

  it('reports a missing input file and a file that is not a .npy alike: a usage error naming the flag (exit 2)', () => {
    const missing = cli(['run', 'rope', '--input', `x=${join(dir, 'nope.npy')}`, '--backend', 'cpu']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--input x=${join(dir, 'nope.npy')}: no such file`);
    writeFileSync(join(dir, 'bad.npy'), 'not numpy at all');
    const bad = cli(['run', 'rope', '--input', `x=${join(dir, 'bad.npy')}`, '--backend', 'cpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--input x=${join(dir, 'bad.npy')}: not a .npy file`);
    const whole = encodeNpy(new Float32Array(8), [2, 4]);
    writeFileSync(join(dir, 'short.npy'), whole.subarray(0, whole.length - 8));
    const truncated = cli(['run', 'rmsnorm', '--input', `x=${join(dir, 'short.npy')}`, '--backend', 'cpu']);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toMatch(/--input x=.*short\.npy: truncated \.npy data/);
  });

  it('an --out that cannot be written is a usage error before anything runs, not a raw ENOENT', () => {
    const r = cli(['run', 'rmsnorm', '--shape', '2,8', '--out', join(dir, 'no-such-dir', 'y.npy'), '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${join(dir, 'no-such-dir', 'y.npy')}: the directory ${join(dir, 'no-such-dir')} does not exist`);
    expect(r.stderr).not.toContain('ENOENT');
    expect(r.stderr).not.toContain('backend:'); // refused before a backend was created
    const isDir = cli(['run', 'rmsnorm', '--shape', '2,8', '--out', dir, '--backend', 'cpu']);
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toContain('is a directory, expected a file name');
  });

  it('--json prints nothing but the JSON document', () => {
    const r = cli(['run', 'rope', '--shape', '1,2,2,8', '--json', '--repeat', '0', '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().startsWith('{')).toBe(true);
    expect(json<RunJson>(r).params).toMatchObject({ shape: [1, 2, 2, 8], theta: 10000, rotaryDim: 8, interleaved: false });
  });
});

describe('options that do not apply, and errors in the user\'s terms (exit 2)', () => {
  it.concurrent.each([
    [['run', 'rope', '--factor', '8'], '--factor applies only with --rope-scaling linear|dynamic|llama3|yarn'],
    [['run', 'rope', '--truncate'], '--truncate applies only with --rope-scaling yarn'],
    [['run', 'rope', '--rope-scaling', 'linear', '--factor', '2', '--beta-fast', '16'], '--beta-fast does not apply to --rope-scaling linear (it is a parameter of yarn)'],
    [['run', 'rope', '--rope-scaling', 'default', '--original-max-position-embeddings', '8192'],
      '--original-max-position-embeddings does not apply to --rope-scaling default (it is a parameter of llama3, yarn, longrope)'],
    [['run', 'gqa', '--shape', '1,8'], '--shape does not apply to gqa'],
    [['run', 'rmsnorm', '--window', '4'], '--window does not apply to rmsnorm'],
    [['run', 'rope', '--shape', '1,4,4,15'], 'rope rotates pairs of dims, so it needs an even head dim; --shape [1, 4, 4, 15] has head dim 15'],
    [['run', 'rope', '--shape', '1,4,4,16', '--rotary-dim', '20'], '--rotary-dim expected an even integer in [2, 16]'],
    [['run', 'gqa', '--heads', '4', '--kv-heads', '2', '--seq-kv', '8', '--kv-length', '9'], '--kv-length expected an integer'],
  ])('%j', async (args, message) => {
    const r = await cliAsync([...(args as string[]), '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('options.');
    expect(r.stdout).toBe('');
  });

  it('--dtype f16 on a backend that stores f32 only names the backend and where f16 is', () => {
    const r = cli(['run', 'rmsnorm', '--dtype', 'f16', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dtype f16: the cpu backend stores f32 only');
    expect(r.stderr).not.toContain('backend.tensor');
  });
});

describe('run: defaults come from core', () => {
  it("--eps and --theta default to core's DEFAULT_RMSNORM_EPS and DEFAULT_ROPE_THETA (help and the values run)", () => {
    const help = cli(['run', '--help']).stdout;
    expect(help).toMatch(new RegExp(`--eps X .*\\(default ${DEFAULT_RMSNORM_EPS.toExponential().replace('-', '\\-')}\\)`));
    expect(help).toMatch(new RegExp(`--theta X .*\\(default ${DEFAULT_ROPE_THETA}\\)`));
    const norm = json<{ params: { eps: number }; pass: boolean }>(cli(['run', 'rmsnorm', '--shape', '2,8', '--repeat', '0', '--backend', 'cpu', '--check', '--json']));
    expect(norm.params.eps).toBe(DEFAULT_RMSNORM_EPS);
    expect(norm.pass).toBe(true);
    const rope = json<{ params: { theta: number }; pass: boolean }>(cli(['run', 'rope', '--shape', '1,2,2,8', '--repeat', '0', '--backend', 'cpu', '--check', '--json']));
    expect(rope.params.theta).toBe(DEFAULT_ROPE_THETA);
    expect(rope.pass).toBe(true);
  });
});
