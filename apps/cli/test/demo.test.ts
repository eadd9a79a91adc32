import { describe, expect, it } from 'vitest';
import { cli, json } from './helpers.js';

interface DemoJson {
  backend: string;
  config: { hidden: number; headsQ: number; headsKV: number; headDim: number; theta: number; scaling: { type: string; factor: number } };
  steps: {
    kind: 'prefill' | 'decode';
    positions: [number, number];
    kvLength: number;
    ms: number;
    pass: boolean;
    stages: { name: string; what: string; where: string; check?: { maxError: number; tolerance: number; pass: boolean } }[];
  }[];
  generated: string;
  checks: number;
  failed: number;
  pass: boolean;
}

describe('demo', () => {
  it('runs the attention block on cpu and every step passes its float64 check (text output)', () => {
    const r = cli(['demo', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('one Llama attention block');
    expect(r.stdout).toContain('llama-ops has no matmul');
    expect(r.stdout).toMatch(/prefill · 14 tokens "The llama says" at positions 0–13/);
    expect(r.stdout).toMatch(/llama3 scaling \(factor 8, low 1, high 4, original context 8192\)/);
    for (const stage of ['rmsnorm', 'rope', 'kv cache', 'gqa', 'add & norm']) expect(r.stdout).toMatch(new RegExp(`\\n  ${stage}\\s+.*\\s+cpu\\s`));
    // Six decode rows, each PASS.
    expect(r.stdout.match(/^ {2}\d+\s+".*PASS$/gm)).toHaveLength(6);
    expect(r.stdout).toMatch(/result\s+PASS — all 28 checks within SPEC tolerance/);
  });

  it('--json reports each step: positions, a KV cache growing by one, and passing checks', () => {
    const r = cli(['demo', '--backend', 'cpu', '--json', '--steps', '3', '--prompt', 'Hi there']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<DemoJson>(r);
    expect(out.backend).toBe('cpu');
    expect(out.config).toMatchObject({ hidden: 256, headsQ: 8, headsKV: 2, headDim: 32, theta: 500000, scaling: { type: 'llama3', factor: 8 } });
    expect(out.steps.map((s) => s.kind)).toEqual(['prefill', 'decode', 'decode', 'decode']);
    expect(out.steps.map((s) => s.positions)).toEqual([[0, 7], [8, 8], [9, 9], [10, 10]]);
    expect(out.steps.map((s) => s.kvLength)).toEqual([8, 9, 10, 11]);
    expect(out.generated).toHaveLength(4);
    expect(out.checks).toBe(16);
    expect(out.failed).toBe(0);
    expect(out.pass).toBe(true);
    for (const step of out.steps) {
      for (const stage of step.stages.filter((s) => s.check)) {
        expect(stage.check!.pass, `${step.kind} ${stage.name}`).toBe(true);
        expect(stage.check!.maxError).toBeLessThanOrEqual(stage.check!.tolerance);
      }
    }
  });

  it('q, k and v are views of one packed projection on wasm: same tokens as three separate projections gave, every check passes', () => {
    const r = cli(['demo', '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<DemoJson>(r);
    expect(out.steps[0].stages.find((s) => s.name === 'q/k/v proj')?.what).toBe('256 → q 256, k 64, v 64, one packed row');
    // Seed 1's tokens before the demo packed q/k/v: packing is a layout change, not a numeric one.
    expect(out.generated).toBe('t@|D8<,');
    expect(out.checks).toBe(28);
    expect(out.pass).toBe(true);
  });

  it('--steps 0 runs the prefill only and counts what it generated in words that fit', () => {
    const r = cli(['demo', '--steps', '0', '--prompt', 'a', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"a" → 1 token (one per character), then no decode steps (--steps 0)');
    expect(r.stdout).toMatch(/prefill · 1 token "a" at position 0\n/);
    expect(r.stdout).toMatch(/generated "a" → ".*" \(1 greedy token, predicted by the prefill;/);
    expect(r.stdout).not.toMatch(/\b1 tokens\b|\b1 greedy tokens\b/);
    expect(r.stdout).not.toContain('decode ·');
  });

  it('rejects a prompt outside its ASCII vocabulary', () => {
    const r = cli(['demo', '--prompt', 'héllo', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('only printable ASCII');
  });
});
