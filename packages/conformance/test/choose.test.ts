/**
 * The quick probe and chooseBackend on the kit's own JS backend: the probe catches every
 * deliberately wrong backend the full kit catches, chooseBackend passes over a broken backend
 * with the failing case in its report, and verdicts are cached per backend version.
 */
import { defineBackend, registerBackend, unregisterBackend, type Backend } from '@llama-ops/core';
import { afterEach, describe, expect, it } from 'vitest';
import { QUICK_CASE_IDS, chooseBackend, memoryVerdictStore, NoConformingBackendError, quickCases, runQuick } from '../src/suite.js';
import { createJsBackend, type Bug } from './js-backend.js';

const BUGS: Bug[] = [
  'rope-pairing-swapped',
  'rope-ignores-partial',
  'rope-writes-input',
  'softmax-without-sinks',
  'window-off-by-one',
  'softcap-after-mask',
  'reads-past-kvLength',
  'empty-row-nan',
  'rmsnorm-f32-sum',
  'rmsnorm-eps-outside',
  'gqa-throws',
];

/** The JS backend with a version, so its verdicts can be cached. */
function versioned(bug?: Bug, version = '1.0.0'): Backend {
  const inner = createJsBackend({ bug });
  return defineBackend({ ...inner.kernels, version });
}

describe('the quick probe', { timeout: 60_000 }, () => {
  it('resolves every id and has a few dozen cases', () => {
    expect(quickCases().map((c) => c.id)).toEqual([...QUICK_CASE_IDS]);
    expect(QUICK_CASE_IDS.length).toBeGreaterThanOrEqual(24);
    expect(QUICK_CASE_IDS.length).toBeLessThanOrEqual(64);
  });
  it('passes a correct backend, f32 and f16', async () => {
    const r = await runQuick(createJsBackend());
    expect(r.failure?.message).toBeUndefined();
    expect(r.pass).toBe(true);
    expect(r.ran).toBe(QUICK_CASE_IDS.length);
  });
  for (const bug of BUGS) {
    it(`fails the backend with the planted bug '${bug}'`, async () => {
      const r = await runQuick(createJsBackend({ bug }));
      expect(r.pass).toBe(false);
      expect(r.failure?.id).toBeTruthy();
    });
  }
});

describe('chooseBackend', { timeout: 60_000 }, () => {
  afterEach(() => {
    unregisterBackend('broken-js');
    unregisterBackend('good-js');
  });

  it('passes over a broken backend, naming the failing case, and disposes it', async () => {
    let broken: Backend | undefined;
    const result = await chooseBackend({
      cache: false,
      candidates: [
        {
          name: 'broken',
          create: async () => {
            broken = versioned('rmsnorm-eps-outside');
            return broken;
          },
        },
        { name: 'good', create: async () => versioned() },
      ],
    });
    expect(result.name).toBe('good');
    expect(result.report.map((r) => [r.name, r.ok])).toEqual([
      ['broken', false],
      ['good', true],
    ]);
    expect(result.report[0].reason).toMatch(/^failed case rmsnorm\/eps\/dominant: /);
    expect(broken?.disposed).toBe(true);
    expect(result.backend.disposed).toBe(false);
  });

  it('tries registry names best first and says which are not installed', async () => {
    registerBackend('broken-js', async () => versioned('rope-pairing-swapped'), { priority: 100 });
    registerBackend('good-js', async () => versioned(), { priority: 99 });
    const { name, report } = await chooseBackend({ cache: false, candidates: ['no-such-backend', 'broken-js', 'good-js'] });
    expect(name).toBe('good-js');
    expect(report[0]).toMatchObject({ name: 'no-such-backend', ok: false });
    expect(report[0].reason).toMatch(/not installed|no backend named/);
    expect(report[1].reason).toMatch(/^failed case rope\//);
  });

  it('throws a typed error carrying the report when nothing passes', async () => {
    let err: unknown;
    try {
      await chooseBackend({ cache: false, candidates: [{ name: 'a', create: async () => versioned('gqa-throws') }, { name: 'b', create: async () => Promise.reject(new Error('no adapter')) }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoConformingBackendError);
    const report = (err as NoConformingBackendError).report;
    expect(report.map((r) => r.name)).toEqual(['a', 'b']);
    expect(report[0].reason).toContain('simulated kernel failure');
    expect(report[1].reason).toBe('failed to load: no adapter');
    expect((err as NoConformingBackendError).code).toBe('E_BACKEND_UNAVAILABLE');
  });

  it('verify: none takes the first backend that loads', async () => {
    const { name, report } = await chooseBackend({ verify: 'none', candidates: [{ name: 'broken', create: async () => versioned('gqa-throws') }] });
    expect(name).toBe('broken');
    expect(report[0].cases).toBe(0);
  });

  it('caches verdicts per backend version; refresh probes again; an unversioned backend is probed every time', async () => {
    const store = memoryVerdictStore();
    const good = { name: 'good', create: async () => versioned(undefined, '1.0.0') };
    const first = await chooseBackend({ cache: store, candidates: [good] });
    expect(first.report[0].cached).toBeUndefined();
    expect(first.report[0].cases).toBe(QUICK_CASE_IDS.length);
    const second = await chooseBackend({ cache: store, candidates: [good] });
    expect(second.report[0].cached).toBe(true);
    const refreshed = await chooseBackend({ cache: store, refresh: true, candidates: [good] });
    expect(refreshed.report[0].cached).toBeUndefined();
    // a failing verdict is cached too: the broken version is passed over without a probe
    const brokenV2 = { name: 'good', create: async () => versioned('rope-pairing-swapped', '2.0.0') };
    await expect(chooseBackend({ cache: store, candidates: [brokenV2] })).rejects.toThrow(NoConformingBackendError);
    await chooseBackend({ cache: store, candidates: [brokenV2, good] }).then((r) => {
      expect(r.report[0]).toMatchObject({ cached: true, ok: false });
      expect(r.report[0].reason).toMatch(/cached verdict of/);
    });
    const unversioned = { name: 'plain', create: async () => createJsBackend() };
    await chooseBackend({ cache: store, candidates: [unversioned] });
    const again = await chooseBackend({ cache: store, candidates: [unversioned] });
    expect(again.report[0].cached).toBeUndefined();
  });
});
