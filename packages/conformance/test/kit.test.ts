/**
 * Tests of the kit itself, on a tiny JS backend written in this folder: the kit must pass a
 * correct backend, and fail each subtly wrong one with a message that says where and by how
 * much — never by crashing.
 */
import { describe, expect, it } from 'vitest';
import { coverageReport, listCases, runCase, runRandom, runSuite, type CaseOp, type SupportsFn } from '../src/suite.js';
import { createJsBackend, type Bug } from './js-backend.js';

describe('the kit on a correct JS backend', () => {
  it('passes every fixed case (f32 and f16)', async () => {
    const be = createJsBackend();
    const report = await runSuite(be);
    expect(report.results.filter((r) => !r.pass).map((r) => r.message)).toEqual([]);
    expect(report.skipped).toBe(0);
    expect(report.passed).toBe(listCases().length);
    expect(report.pass).toBe(true);
    be.dispose();
  });

  it('passes the seeded random mode of every op', async () => {
    const be = createJsBackend();
    for (const op of ['rmsnorm', 'addRmsnorm', 'rope', 'gqa', 'kvcache'] as const) {
      const r = await runRandom(be, op, { runs: 25, seed: 7 });
      expect(r.message).toContain('random cases pass');
      expect(r.pass).toBe(true);
      expect(r.runs).toBe(25);
    }
    be.dispose();
  });

  it('reports f16 cases as skipped with the reason when the backend stores only f32', async () => {
    const be = createJsBackend({ dtypes: ['f32'] });
    const progress: string[] = [];
    const report = await runSuite(be, { cases: listCases({ op: 'rmsnorm' }), onProgress: (p) => progress.push(`${p.done}/${p.total}`) });
    const f16 = listCases({ op: 'rmsnorm', dtype: 'f16' }).length;
    expect(f16).toBeGreaterThan(0);
    expect(report.skipped).toBe(f16);
    expect(report.skips[0].reason).toBe("backend does not list 'f16' in capabilities.dtypes");
    expect(progress.at(-1)).toBe(`${listCases({ op: 'rmsnorm' }).length}/${listCases({ op: 'rmsnorm' }).length}`);
    be.dispose();
  });

  it('coverageReport lists what a backend skips and why', () => {
    const supports: SupportsFn = (c) => (c.op === 'gqa' && c.group === 'sinks' ? 'sinks are not implemented yet' : true);
    const cov = coverageReport(['f32'], supports);
    expect(cov.total).toBe(listCases().length);
    expect(cov.run + cov.skipped).toBe(cov.total);
    expect(cov.reasons).toContainEqual({ reason: 'sinks are not implemented yet', count: listCases({ op: 'gqa', group: 'sinks', dtype: 'f32' }).length });
    expect(cov.entries.find((e) => e.id === 'gqa/sinks/decode')?.skipped).toBe('sinks are not implemented yet');
    expect(cov.entries.find((e) => e.id === 'gqa/heads/7-1-decode')?.skipped).toBeNull();
  });

  it('the fixed suite has the size and coverage the README promises', () => {
    const all = listCases();
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(all.length).toBeLessThanOrEqual(330);
    const ids = all.map((c) => c.id);
    for (const must of [
      'rope/inPlace/half',
      'rope/scaling/longrope-long',
      'rope/positions/offset-2^20',
      'gqa/heads/32-1-decode',
      'gqa/heads/7-1-decode',
      'gqa/kvLength/ragged-decode',
      'gqa/noVisibleKey/before-cache',
      'gqa/sinks/decode',
      'kvcache/garbage/after-reset',
      'rmsnorm/magnitude/1e18',
      'rmsnorm/extremes/eps0-zero-row',
      'gqa/extremes/mask-finfo-min-all',
      'gqa/extremes/v-3e38-decode',
      'kvcache/extremes/v-near-max',
    ]) {
      expect(ids).toContain(must);
    }
  });
});

/** Run the cases of `ops` on a backend with `bug`; return the failures. */
async function failuresWith(bug: Bug, ops: CaseOp[]) {
  const be = createJsBackend({ bug });
  const results = [];
  for (const op of ops) for (const c of listCases({ op, dtype: 'f32' })) results.push(await runCase(be, c));
  be.dispose();
  return results.filter((r) => !r.pass);
}

describe('the kit fails a subtly wrong backend with a meaningful message', () => {
  it('rope pairing swapped ((2i, 2i+1) instead of (i, i + d/2))', async () => {
    const f = await failuresWith('rope-pairing-swapped', ['rope']);
    expect(f.length).toBeGreaterThan(30);
    const m = f.find((r) => r.id === 'rope/headDim/d64-half')!;
    expect(m.message).toMatch(/^rope\/headDim\/d64-half: rope output: 768 of 768 values outside tolerance; worst at index \d+ \[\d+,\d+,\d+,\d+\]: got .*, expected .* \(\|error\| .* > bound .*\)\n  parameters: x \[2, 3, 2, 64\]; positions from 5; theta 10000 \(default\); interleaved false$/);
    // token 0 of this case sits at position 0 (the identity whatever the pairing): the worst
    // element must be at a later token
    expect(f.find((r) => r.id === 'rope/positions/zero')!.message).toMatch(/worst at index \d+ \[0,[123],/);
  });

  it('rope rotating the pass-through dims of partial rotary', async () => {
    const f = await failuresWith('rope-ignores-partial', ['rope']);
    expect(f.map((r) => r.id)).toContain('rope/rotaryDim/d64-rd32-half');
    // the views family repeats some of these cases (views/packed-rotaryDim-..., views/packed-inPlace-partial)
    expect(f.every((r) => /rotaryDim|inPlace[/-]partial|special\/inf|scaling\/(dynamic-partial|yarn-partial)|random/.test(r.id))).toBe(true);
  });

  it('rope writing into its input without inPlace', async () => {
    const f = await failuresWith('rope-writes-input', ['rope']);
    const m = f.find((r) => r.id === 'rope/headDim/d64-half')!;
    expect(m.message).toContain('input x was modified by the op');
    expect(f.map((r) => r.id)).not.toContain('rope/inPlace/half');
  });

  it('softmax without the sinks', async () => {
    const f = await failuresWith('softmax-without-sinks', ['gqa']);
    const ids = f.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['gqa/sinks/decode', 'gqa/sinks/prefill', 'gqa/sinks/dominant', 'gqa/sinks/window']));
    // sinks of -30 are negligible and an empty row stays zeros: those still pass
    expect(ids).not.toContain('gqa/sinks/negative-large');
    expect(ids).not.toContain('gqa/noVisibleKey/empty-cache-sinks');
    // ... and so do the extremes cases with sinks: a +Inf sink (zeros with it, the plain softmax
    // without it) and the subnormal case's sinks of ~0 (read as 0: exp(0) = 1 in the denominator)
    expect(ids).toEqual(expect.arrayContaining(['gqa/extremes/sinks-inf', 'gqa/extremes/subnormal']));
    const withSinks = (id: string) => id.startsWith('gqa/sinks/') || id === 'gqa/views/packed-sinks-prefill' || id === 'gqa/extremes/sinks-inf' || id === 'gqa/extremes/subnormal';
    expect(ids.filter((id) => !withSinks(id))).toEqual([]);
  });

  it('window off by one (p - window <= j)', async () => {
    const f = await failuresWith('window-off-by-one', ['gqa', 'kvcache']);
    const ids = f.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['gqa/window/one', 'gqa/window/prefill-edge', 'gqa/window/decode-deep', 'kvcache/options/window']));
    expect(ids).not.toContain('gqa/window/wide');
  });

  it('softcap applied after the additive mask', async () => {
    const f = await failuresWith('softcap-after-mask', ['gqa']);
    expect(f.map((r) => r.id)).toEqual(['gqa/softcap/mask']);
  });

  it('reading keys past kvLength (NaN garbage leaks through 0 * NaN)', async () => {
    const f = await failuresWith('reads-past-kvLength', ['gqa', 'kvcache']);
    const ids = f.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['gqa/decode/deep', 'gqa/kvLength/ragged-decode', 'gqa/chunked/end-of-cache', 'kvcache/garbage/after-reset']));
    expect(f.find((r) => r.id === 'gqa/decode/deep')!.message).toContain('got NaN');
  });

  it('a row with no visible key giving NaN instead of zeros', async () => {
    const f = await failuresWith('empty-row-nan', ['gqa']);
    const ids = f.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['gqa/noVisibleKey/before-cache', 'gqa/kvLength/zero', 'gqa/queryOffset/negative', 'gqa/mask/padding-inf']));
    expect(f.find((r) => r.id === 'gqa/kvLength/zero')!.message).toMatch(/worst at index 0 \[0,0,0,0\]: got NaN, expected 0 \(NaN\/Inf must match exactly\)\n/);
  });

  it('rmsnorm accumulating squares in float32 (overflow at |x| ~ 1e18)', async () => {
    const f = await failuresWith('rmsnorm-f32-sum', ['rmsnorm', 'addRmsnorm']);
    const ids = f.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['rmsnorm/magnitude/1e18', 'rmsnorm/magnitude/1e18-d4096', 'addRmsnorm/magnitude/5e17']));
    expect(f.find((r) => r.id === 'rmsnorm/magnitude/1e18')!.message).toContain('got 0, expected');
  });

  it('rmsnorm with eps outside the square root', async () => {
    const f = await failuresWith('rmsnorm-eps-outside', ['rmsnorm']);
    // 1/(rms + eps) vs 1/sqrt(ms + eps) differ by less than 1e-5 relative unless eps matters.
    expect(f.map((r) => r.id)).toEqual(['rmsnorm/eps/dominant']);
  });

  it('a failure message names every parameter of the case (per-batch kvLength and queryOffset included)', async () => {
    const f = await failuresWith('kvLength-max', ['gqa']);
    const r = f.find((x) => x.id === 'gqa/kvLength/ragged-queryOffset-decode')!;
    expect(r.parameters).toBe('q [2, 1, 4, 16]; k [2, 12, 1, 16]; v [2, 12, 1, 16]; causal true (default); kvLength [6, 12]; queryOffset [15, 2]');
    expect(r.message).toMatch(/^gqa\/kvLength\/ragged-queryOffset-decode: gqa output: .* got NaN, .*\n  parameters: q \[2, 1, 4, 16\]; .*; kvLength \[6, 12\]; queryOffset \[15, 2\]$/);
    const rope = (await failuresWith('rope-positions-batch-0', ['rope'])).find((x) => x.id === 'rope/positions/explicit-ragged')!;
    expect(rope.message).toContain('\n  parameters: x [3, 1, 4, 64]; positions [17, 0, 4095]; theta 500000');
  });

  it('a kernel that throws is a failed case, not a crash', async () => {
    const be = createJsBackend({ bug: 'gqa-throws' });
    const r = await runCase(be, listCases({ op: 'gqa' })[0]);
    expect(r.pass).toBe(false);
    expect(r.message.split('\n')[0]).toBe(`${r.id}: threw Error: simulated kernel failure`);
    expect(r.message.split('\n')[1]).toBe(`  parameters: ${r.parameters}`);
    const kv = await runCase(be, listCases({ op: 'kvcache' })[0]);
    expect(kv.message).toContain('threw Error: simulated kernel failure');
    be.dispose();
  });

  it('the random mode finds a bug, shrinks it, and prints how to replay it', async () => {
    const be = createJsBackend({ bug: 'rope-pairing-swapped' });
    const r = await runRandom(be, 'rope', { runs: 50, seed: 42 });
    expect(r.pass).toBe(false);
    expect(r.message).toMatch(/^rope: random case failed after \d+ run\(s\) and \d+ shrink\(s\) — rope\/random\/\{.*\}: rope (output|\(in place\) x): /);
    expect(r.message).toContain('replay: CONFORMANCE_SEED=42 (fast-check seed 44, path "');
    be.dispose();
  });

  it("the random mode's shrunk report prints the case's kvLength values", async () => {
    const be = createJsBackend({ bug: 'kvLength-max' });
    const r = await runRandom(be, 'gqa', { runs: 100, seed: 42 });
    expect(r.pass).toBe(false);
    // The id holds the generator's choices (kvLengthMode "perBatch"); the parameters line holds the values.
    expect(r.message).toMatch(/\n  parameters: q \[\d+, \d+, \d+, \d+\]; .*; kvLength \[\d+(, \d+)+\]; /);
    be.dispose();
  });
});

/**
 * Parameters that only ever appeared in combinations hiding them. Each bug below passed every
 * fixed case before the cases named here were added (the random mode found some of them, after
 * a few to a few dozen cases); now each named case fails it.
 */
describe('the kit catches bugs that other parameters used to hide', () => {
  it('using the largest kvLength for every batch: every ragged case where causality does not hide the keys past a batch', async () => {
    const f = await failuresWith('kvLength-max', ['gqa', 'kvcache']);
    expect(f.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'gqa/kvLength/ragged-decode-non-causal',
        'gqa/kvLength/ragged-chunk-non-causal',
        'gqa/kvLength/ragged-queryOffset',
        'gqa/kvLength/ragged-queryOffset-decode',
        'gqa/kvLength/ragged-window',
        'gqa/kvLength/ragged-mask',
      ]),
    );
    // The keys past each batch's length hold NaN: the leak shows as NaN, not as a small error.
    for (const r of f) expect(r.message, r.id).toContain('got NaN');
    // Causal ragged cases with the default queryOffset cannot see it: causality hides those keys.
    expect(f.map((r) => r.id)).not.toContain('gqa/kvLength/ragged-decode');
  });

  it.each<[Bug, string[]]>([
    ['kvLength-first', ['gqa/kvLength/ragged-decode', 'gqa/kvLength/ragged-decode-non-causal', 'gqa/kvLength/ragged-mask']],
    ['queryOffset-first', ['gqa/queryOffset/per-batch', 'gqa/kvLength/ragged-queryOffset-decode', 'gqa/kvLength/ragged-window']],
    ['queryOffset-ignored', ['gqa/queryOffset/middle', 'gqa/kvLength/ragged-queryOffset', 'gqa/kvLength/ragged-queryOffset-decode']],
    ['decode-not-causal', ['gqa/kvLength/ragged-queryOffset-decode', 'gqa/special/nonfinite-decode']],
    ['window-at-cache-end', ['gqa/window/queryOffset', 'gqa/kvLength/ragged-window']],
    ['mask-row-stride-kvLength', ['gqa/mask/nan-past-kvLength', 'gqa/kvLength/ragged-mask']],
    ['decode-mask-broadcast', ['gqa/mask/decode']],
    ['mask-batch-0', ['gqa/mask/full', 'gqa/mask/broadcast-b1', 'gqa/mask/decode', 'gqa/kvLength/ragged-mask']],
    ['mask-head-0', ['gqa/mask/full', 'gqa/mask/broadcast-1h', 'gqa/mask/decode']],
    ['mask-by-kv-head', ['gqa/mask/full', 'gqa/mask/broadcast-1h', 'gqa/mask/decode']],
    ['sinks-by-kv-head', ['gqa/sinks/decode', 'gqa/sinks/prefill', 'gqa/sinks/window']],
    ['sinks-first-head', ['gqa/sinks/decode', 'gqa/sinks/prefill', 'gqa/sinks/window']],
  ])('%s fails %j', async (bug, ids) => {
    const f = await failuresWith(bug, ['gqa', 'kvcache']);
    expect(f.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
  });

  it('a seqQ = 1 path that reads every mask as [1, 1, 1, seqKV] fails only the decode case with a per-batch, per-head mask', async () => {
    const f = await failuresWith('decode-mask-broadcast', ['gqa', 'kvcache']);
    expect(f.map((r) => r.id)).toEqual(['gqa/mask/decode']);
  });

  it.each<[Bug, string[]]>([
    ['rope-positions-batch-0', ['rope/positions/explicit-random', 'rope/positions/explicit-ragged', 'rope/scaling/llama3-explicit']],
    ['rope-positions-transposed', ['rope/positions/explicit-random', 'rope/positions/explicit-edges', 'rope/scaling/llama3-explicit']],
  ])('per-batch rope positions: %s fails %j', async (bug, ids) => {
    const f = await failuresWith(bug, ['rope']);
    expect(f.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
  });
});

describe('the extremes family (SPEC.md "Range and special values") catches what it is for', () => {
  it.each<[Bug, string[]]>([
    ['mask-min-as-value', ['gqa/extremes/mask-finfo-min-all', 'gqa/extremes/mask-finfo-min-partial']],
    ['sink-inf-nan', ['gqa/extremes/sinks-inf']],
    ['rmsnorm-f32-sum', ['rmsnorm/extremes/near-max', 'rmsnorm/extremes/near-max-d4096', 'addRmsnorm/extremes/near-max']],
  ])('%s fails %j', async (bug, ids) => {
    const f = await failuresWith(bug, ['rmsnorm', 'addRmsnorm', 'gqa']);
    expect(f.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
  });

  it('subnormal inputs: a backend that flushes them to zero and one that keeps them both pass every extremes case', async () => {
    for (const flushSubnormals of [true, false]) {
      const be = createJsBackend({ flushSubnormals });
      const failed = [];
      for (const c of listCases({ group: 'extremes' })) {
        const r = await runCase(be, c);
        if (!r.pass) failed.push(r.message);
      }
      be.dispose();
      expect(failed, `flushSubnormals ${flushSubnormals}`).toEqual([]);
    }
    // ... and the subnormal cases really hold subnormals.
    const sub = (x: number) => x !== 0 && Math.abs(x) < 1.1754943508222875e-38;
    for (const id of ['rmsnorm/extremes/subnormal', 'addRmsnorm/extremes/subnormal', 'gqa/extremes/subnormal']) {
      const inputs = listCases({ group: 'extremes' }).find((c) => c.id === id)!.build() as unknown as Record<string, unknown>;
      expect(Object.values(inputs).some((t) => t instanceof Float32Array && t.some(sub)), id).toBe(true);
    }
  });

  it('a backend that guards 0 / 0 (zeros for an all-zero row with eps 0) fails exactly the two eps 0 zero-row cases: an expected NaN must be NaN', async () => {
    const f = await failuresWith('rmsnorm-zero-row-zeros', ['rmsnorm', 'addRmsnorm']);
    expect(f.map((r) => r.id).sort()).toEqual(['addRmsnorm/extremes/eps0-zero-sum', 'rmsnorm/extremes/eps0-zero-row']);
    expect(f[0].message).toContain('expected NaN');
  });
});
