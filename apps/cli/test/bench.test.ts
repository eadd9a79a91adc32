import { describe, expect, it } from 'vitest';
import { cli, json } from './helpers.js';

interface BenchJson {
  schema: string;
  options: { quick: boolean; backends: string[]; peers: string[]; threads: number };
  contenders: { id: string; kind: string; available: boolean; reason?: string }[];
  rows: {
    id: string;
    op: string;
    title: string;
    results: Record<string, { status: 'ok'; stats: { medianMs: number }; gbps: number; checksum: { finite: boolean } } | { status: 'skipped'; reason: string }>;
    ratios: { subject: string; peer: string; speedup: number }[];
  }[];
  targets: unknown[];
}

describe('bench', () => {
  it('--quick --json prints the bench report: rows with a median time per available backend', () => {
    const r = cli(['bench', '--quick', '--json', '--backend', 'cpu', '--filter', 'rope-q-s1-d64', '--filter', 'rope-k-s1-d64']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<BenchJson>(r);
    expect(out.schema).toBe('llama-ops-bench/1');
    expect(out.options).toMatchObject({ quick: true, backends: ['cpu'], peers: [], threads: 1 });
    expect(out.contenders.map((c) => c.id)).toEqual(['cpu']);
    expect(out.rows.map((x) => x.id)).toEqual(['rope-q-s1-d64', 'rope-k-s1-d64']);
    for (const row of out.rows) {
      const cpu = row.results.cpu;
      expect(cpu.status, row.id).toBe('ok');
      if (cpu.status === 'ok') {
        expect(cpu.stats.medianMs).toBeGreaterThan(0);
        expect(cpu.gbps).toBeGreaterThan(0);
        expect(cpu.checksum.finite).toBe(true);
      }
    }
  });

  it('--compare adds the onnxruntime peers, each measured or skipped with a reason', () => {
    const r = cli(['bench', '--quick', '--json', '--compare', '--backend', 'cpu', '--filter', 'rmsnorm-1x4096']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<BenchJson>(r);
    expect(out.options.peers).toEqual(['ort-web', 'ort-node']);
    const peers = out.contenders.filter((c) => c.kind === 'peer');
    expect(peers.length).toBeGreaterThanOrEqual(2);
    for (const p of peers) if (!p.available) expect(p.reason, p.id).toMatch(/\S/);
    const row = out.rows[0];
    for (const p of peers.filter((x) => x.available && !x.id.endsWith('-gqa'))) {
      expect(row.results[p.id]?.status, p.id).toBe('ok');
      expect(row.ratios.some((x) => x.subject === 'cpu' && x.peer === p.id)).toBe(true);
    }
  });

  it('names each target with its measured value, and says which are not met', () => {
    const r = cli(['bench', '--quick', '--compare', '--backend', 'wasm', '--filter', 'rope-q-s512-d64']);
    expect(r.code, r.stderr).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('  targets'));
    expect(section).toMatch(/targets \(quick mode: too few samples to judge; run without --quick\)/);
    // One line per judged target: the row, the target, the measured value with its unit, met or not.
    const lines = section.split('\n').filter((l) => /RoPE/.test(l) && /(met|not met)$/.test(l.trim()));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/wasm (>=|<=|within).*\d\.\d\d×/);
    const summary = section.split('\n').find((l) => /targets met|targets not met/.test(l))!;
    const missed = lines.filter((l) => / not met$/.test(l.trim())).length;
    if (missed === 0) expect(summary).toMatch(/all \d+ targets met/);
    else expect(summary).toMatch(new RegExp(`${missed} of ${lines.length} targets not met: RoPE .*\\(wasm .*: \\d\\.\\d\\d×`));
  });

  it('checks --markdown/--svg/--out paths before it measures anything', () => {
    const r = cli(['bench', '--quick', '--backend', 'cpu', '--filter', 'rmsnorm-1x4096', '--svg', '/no/such/dir/bench.svg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--svg /no/such/dir/bench.svg: the directory /no/such/dir does not exist');
  });

  it('a --filter that matches no row is a usage error; under --json, a JSON error document', () => {
    const r = cli(['bench', '--quick', '--json', '--backend', 'cpu', '--filter', 'softmax']);
    expect(r.code).toBe(2);
    expect(json<{ error: { code: string; message: string } }>(r).error).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('no benchmark row matches --filter softmax') });
  });

  it('prints a table with the time of each backend', () => {
    const r = cli(['bench', '--quick', '--backend', 'cpu', '--filter', 'rmsnorm-1x4096']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/row\s+cpu\s+unit\s+fastest/);
    expect(r.stdout).toMatch(/RMSNorm \[1, 4096\]\s+[\d.]+ (µs|ms)/);
  });
});
