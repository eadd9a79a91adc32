/**
 * `auto` chooses through the conformance kit (issue #16): the quick probe's verdict is cached
 * per device in LLAMA_OPS_CACHE_DIR, shown by `backends`, refreshed by `verify`, and a
 * backend whose verdict failed is passed over with the failing case named.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, json } from './helpers.js';

interface Verdict {
  ok: boolean;
  reason?: string;
  ms: number;
  cases: number;
  cached: boolean;
  at?: string;
}
interface Listing {
  auto: string | null;
  backends: Array<{ name: string; available: boolean; verdict?: Verdict }>;
}

const verdictOf = (l: Listing, name: string) => l.backends.find((b) => b.name === name)?.verdict;

describe('auto through the conformance kit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llama-ops-choose-'));
  const env = { LLAMA_OPS_CACHE_DIR: dir };
  const file = join(dir, 'verdicts.json');

  it('backends measures the quick probe once per device, then shows the cached verdict', () => {
    const first = json<Listing>(cli(['backends', '--json'], { env }));
    for (const name of ['wasm', 'cpu']) {
      const v = verdictOf(first, name)!;
      expect(v, name).toMatchObject({ ok: true, cached: false });
      expect(v.cases, name).toBeGreaterThanOrEqual(30);
      expect(v.ms, name).toBeGreaterThan(0);
    }
    expect(first.auto).toBe('wasm');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { ok: boolean }>;
    expect(Object.keys(stored).some((k) => k.startsWith('wasm@') && k.includes('|quick|'))).toBe(true);
    expect(Object.keys(stored).some((k) => k.startsWith('cpu@'))).toBe(true);

    const second = json<Listing>(cli(['backends', '--json'], { env }));
    for (const name of ['wasm', 'cpu']) {
      expect(verdictOf(second, name), name).toEqual({ ...verdictOf(first, name), cached: true });
    }
    const text = cli(['backends'], { env });
    expect(text.stdout).toMatch(/verdict pass \(quick probe: \d+ cases in \d+ ms, cached from \d{4}-\d\d-\d\d\)/);
  });

  it('a backend whose verdict on this device failed is passed over, naming the failing case; verify refreshes it', () => {
    // Plant a failing verdict for wasm, as a device whose wasm kernels compute wrong answers leaves.
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { ok: boolean; reason?: string }>;
    const key = Object.keys(stored).find((k) => k.startsWith('wasm@'))!;
    stored[key] = { ...stored[key], ok: false, reason: 'failed case rmsnorm/planted: max error 1 > bound 1e-6' };
    writeFileSync(file, JSON.stringify(stored));

    const listing = json<Listing>(cli(['backends', '--json'], { env }));
    expect(listing.auto).toBe('cpu');
    expect(verdictOf(listing, 'wasm')).toMatchObject({ ok: false, cached: true, reason: expect.stringContaining('rmsnorm/planted') });

    const run = cli(['verify', '--op', 'rmsnorm', '--runs', '0', '--json'], { env });
    const out = json<{ backend: string; why: string; quick: Verdict }>(run);
    expect(out.backend).toBe('cpu');
    expect(out.why).toMatch(/^cpu \(auto: .*wasm failed case rmsnorm\/planted.*passed the quick conformance probe/);
    expect(out.quick).toMatchObject({ ok: true, cached: false });

    // `verify --backend wasm` probes wasm again and replaces the planted verdict.
    const refreshed = cli(['verify', '--backend', 'wasm', '--op', 'rmsnorm', '--runs', '0'], { env });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toMatch(/quick-probe verdict \(what auto trusts\) refreshed: pass \(\d+ cases in \d+ ms\)/);
    const after = json<Listing>(cli(['backends', '--json'], { env }));
    expect(after.auto).toBe('wasm');
    expect(verdictOf(after, 'wasm')).toMatchObject({ ok: true, cached: true });
  });

  it('LLAMA_OPS_BACKEND=auto chooses the same way as the default', () => {
    const out = json<{ backend: string; why: string }>(cli(['verify', '--op', 'rmsnorm', '--runs', '0', '--json'], { env: { ...env, LLAMA_OPS_BACKEND: 'auto' } }));
    expect(out.backend).toBe('wasm');
    expect(out.why).toMatch(/^wasm \(auto: .*passed the quick conformance probe \(cached verdict\)/);
  });
});
