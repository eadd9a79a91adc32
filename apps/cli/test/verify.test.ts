import { describe, expect, it } from 'vitest';
import { cli, json } from './helpers.js';

interface VerifyJson {
  backend: string;
  pass: boolean;
  passed: number;
  failed: number;
  skipped: number;
  randomRuns: number;
  ops: { op: string; cases: number; passed: number; failed: number; skipped: number; worstRatio: number; random: { runs: number; pass: boolean } | null }[];
  failures: unknown[];
  skips: { id: string; reason: string }[];
}

describe('verify', () => {
  it('--backend cpu passes the whole fixed suite plus random cases, and says why f16 cases are skipped', () => {
    const r = cli(['verify', '--backend', 'cpu', '--runs', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<VerifyJson>(r);
    expect(out.backend).toBe('cpu');
    expect(out.pass).toBe(true);
    expect(out.failed).toBe(0);
    expect(out.failures).toEqual([]);
    expect(out.passed).toBeGreaterThan(100);
    expect(out.ops.map((o) => o.op)).toEqual(['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache']);
    for (const o of out.ops) {
      expect(o.random, o.op).toMatchObject({ runs: 3, pass: true });
      expect(o.worstRatio, o.op).toBeLessThanOrEqual(1);
    }
    // cpu stores f32 only: every skip is an f16 case, with the reason.
    for (const s of out.skips) expect(s).toMatchObject({ id: expect.stringMatching(/\/f16$/), reason: expect.stringContaining("'f16'") });
  });

  it('prints a pass/fail table per op and exits 0', () => {
    const r = cli(['verify', '--backend', 'cpu', '--runs', '0', '--op', 'rope', '--op', 'add-rmsnorm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/op\s+cases\s+passed\s+failed\s+skipped/);
    expect(r.stdout).toMatch(/\n {2}addRmsnorm\s+\d+\s+\d+\s+0\s/);
    expect(r.stdout).toMatch(/\n {2}rope\s+\d+\s+\d+\s+0\s/);
    expect(r.stdout).not.toMatch(/\n {2}gqa\s/);
    expect(r.stdout).toMatch(/PASS — \d+ cases pass/);
  });

  it('rejects an unknown --op and a filter that matches nothing (exit 2)', () => {
    expect(cli(['verify', '--op', 'softmax']).code).toBe(2);
    const r = cli(['verify', '--backend', 'cpu', '--filter', 'no-such-case-id']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no conformance case matches');
  });
});
