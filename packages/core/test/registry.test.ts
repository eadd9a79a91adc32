import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILTIN_BACKENDS,
  BackendUnavailableError,
  ValueError,
  backendPackageName,
  checkBackendOptions,
  createBackend,
  listBackends,
  registerBackend,
  rmsnorm,
  selectBackend,
  unregisterBackend,
} from '../src/index.js';
import { createFakeBackend } from './fake-backend.js';

const registered: string[] = [];
function register(name: string, priority: number, fail?: string) {
  registered.push(name);
  registerBackend(
    name,
    async () => {
      if (fail) throw new Error(fail);
      return createFakeBackend(name).backend;
    },
    { priority },
  );
}

afterEach(() => {
  for (const n of registered.splice(0)) unregisterBackend(n);
});

describe('backend registry', () => {
  it('creates a registered backend by name', async () => {
    register('alpha', 5);
    const be = await createBackend('alpha');
    expect(be.name).toBe('alpha');
  });

  it("'auto' tries the best first and falls through, keeping each reason", async () => {
    register('best', 100, 'no adapter found');
    register('good', 90);
    const { backend, attempts } = await selectBackend('auto');
    expect(backend.name).toBe('good');
    expect(attempts).toEqual([{ name: 'best', installed: true, reason: 'no adapter found' }]);
  });

  it('a built-in backend that is not installed is reported with its install command', async () => {
    // vitest.config.ts makes @llama-ops/backend-webgpu fail to import as a missing package does.
    const err = await createBackend('webgpu').catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.attempts[0]).toMatchObject({ name: 'webgpu', installed: false, install: 'npm install @llama-ops/backend-webgpu' });
    expect(err.message).toContain('npm install @llama-ops/backend-webgpu');
  });

  it("createBackend('cpu') imports the built-in from the workspace, unregistered (apps need not register it)", async () => {
    const cpu = await createBackend('cpu');
    try {
      expect(cpu.name).toBe('cpu');
      const x = cpu.tensor(new Float32Array([3, 4]), [1, 2]);
      const y = rmsnorm(x, cpu.tensor(new Float32Array([1, 1]), [2]), { eps: 0 });
      const out = await y.read();
      // rms of [3, 4] is sqrt(12.5)
      expect(out[0]).toBeCloseTo(3 / Math.sqrt(12.5), 6);
      expect(out[1]).toBeCloseTo(4 / Math.sqrt(12.5), 6);
    } finally {
      cpu.dispose();
    }
  });

  it('BUILTIN_BACKENDS is the one table of the built-ins: names, packages and priorities, best first', () => {
    expect(BUILTIN_BACKENDS.map((b) => [b.name, b.package, b.priority])).toEqual([
      ['webgpu', '@llama-ops/backend-webgpu', 30],
      ['wasm', '@llama-ops/backend-wasm', 20],
      ['cpu', '@llama-ops/backend-cpu', 10],
    ]);
    expect(Object.isFrozen(BUILTIN_BACKENDS) && Object.isFrozen(BUILTIN_BACKENDS[0])).toBe(true);
  });

  it('an unknown name is unavailable, with a reason', async () => {
    const err = await createBackend('nope').catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.attempts).toHaveLength(1);
    expect(err.attempts[0]).toMatchObject({ name: 'nope', installed: false });
    expect(err.attempts[0].reason).toMatch(/^no backend named 'nope' is registered, and @llama-ops\/backend-nope is not installed \(.*'@llama-ops\/backend-nope'/);
    // Not a built-in: core does not know that such a package exists, so it suggests no install command.
    expect(err.attempts[0].install).toBeUndefined();
    // A name that cannot end a package name is not imported at all.
    const odd = await createBackend('../x').catch((e) => e);
    expect(odd).toBeInstanceOf(BackendUnavailableError);
    expect(odd.attempts[0].reason).toBe("no backend named '../x' is registered (and '../x' cannot end a package name)");
  });

  it('listBackends reports registered, available and unavailable backends with reasons and capabilities', async () => {
    register('ok', 50);
    register('broken', 60, 'shared memory is not allowed');
    const list = await listBackends();
    const byName = Object.fromEntries(list.map((s) => [s.name, s]));
    expect(byName.ok).toMatchObject({ installed: true, available: true, capabilities: { dtypes: ['f32'] } });
    expect(byName.broken).toMatchObject({ installed: true, available: false, reason: 'shared memory is not allowed' });
    expect(byName.webgpu).toMatchObject({ installed: false, available: false, install: 'npm install @llama-ops/backend-webgpu' });
    expect(byName.cpu).toMatchObject({ installed: true, available: true, capabilities: { dtypes: ['f32'] } });
    expect(list.map((s) => s.name).indexOf('broken')).toBeLessThan(list.map((s) => s.name).indexOf('ok'));
  });

  it('rejects bad registrations', () => {
    expect(() => registerBackend('auto', async () => createFakeBackend().backend)).toThrow(ValueError);
    expect(() => registerBackend('x', 5 as never)).toThrow(ValueError);
  });
});

describe('backend packages: createBackend(name) imports @llama-ops/backend-<name>, createBackend({ package }) any package', () => {
  // test/packages/ stands in for installed packages (vitest.config.ts maps their names).
  afterEach(() => {
    unregisterBackend('plainjs');
  });

  it("createBackend('plainjs') imports the installed @llama-ops/backend-plainjs, passes the options, and registers it", async () => {
    const { received } = await import('./packages/backend-plainjs.js');
    const be = await createBackend('plainjs', { threads: 3 });
    expect(be.name).toBe('plainjs');
    expect(received.at(-1)).toEqual({ threads: 3 });
    // From now on it is a registered backend: listed, and a candidate of 'auto' (priority 0).
    const listed = (await listBackends()).find((s) => s.name === 'plainjs');
    expect(listed).toMatchObject({ installed: true, available: true, priority: 0 });
    expect(backendPackageName('plainjs')).toBe('@llama-ops/backend-plainjs');
  });

  it('a registered backend wins over a package of the same name', async () => {
    register('plainjs', 0);
    expect((await createBackend('plainjs')).name).toBe('plainjs');
    register('plainjs', 0, 'the registered one was asked');
    const err = await createBackend('plainjs').catch((e) => e);
    expect(err.attempts).toEqual([{ name: 'plainjs', installed: true, reason: 'the registered one was asked' }]);
  });

  it("createBackend({ package }) imports a package by its npm name, scoped or not, and passes the options", async () => {
    const { received } = await import('./packages/llama-ops-backend-foo.js');
    const be = await createBackend({ package: 'llama-ops-backend-foo' }, { precision: 'high' });
    expect(be.name).toBe('foo');
    expect(received.at(-1)).toEqual({ precision: 'high' });
    const sel = await selectBackend({ package: '@acme/llama-ops-backend-foo' });
    expect(sel.backend.name).toBe('foo');
    expect(sel.attempts).toEqual([]);
    // A package named explicitly is not given a name in the registry.
    expect((await listBackends()).map((s) => s.name)).not.toContain('foo');
  });

  it('a package that is not installed: BackendUnavailableError with installed: false and the install command', async () => {
    const err = await createBackend({ package: 'llama-ops-backend-absent' }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.attempts).toHaveLength(1);
    expect(err.attempts[0]).toMatchObject({ name: 'llama-ops-backend-absent', installed: false, install: 'npm install llama-ops-backend-absent' });
    expect(err.attempts[0].reason).toMatch(/^llama-ops-backend-absent is not installed \(/);
    expect(err.message).toContain('npm install llama-ops-backend-absent');
  });

  it.each([
    ['no createBackend export', { package: '@llama-ops/backend-no-create' }, '@llama-ops/backend-no-create does not export createBackend()'],
    ['no createBackend export, by name', 'no-create', '@llama-ops/backend-no-create does not export createBackend()'],
    ['an import that fails inside the package', { package: '@llama-ops/backend-broken' }, /^@llama-ops\/backend-broken is installed but could not be imported \(.*llama-ops-test-missing-dependency/],
    ['a factory that returns no Backend', { package: 'llama-ops-backend-not-a-backend' }, 'createBackend() did not return a Backend (wrap the kernels with defineBackend)'],
    ['a factory that rejects', { package: 'llama-ops-backend-rejects' }, 'no adapter here'],
  ] as const)('an installed package that cannot give a backend (%s): installed: true, with the reason', async (_what, request, reason) => {
    const err = await createBackend(request as never).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.attempts).toHaveLength(1);
    expect(err.attempts[0].installed).toBe(true);
    expect(err.attempts[0].install).toBeUndefined();
    if (typeof reason === 'string') expect(err.attempts[0].reason).toBe(reason);
    else expect(err.attempts[0].reason).toMatch(reason);
  });

  it('{ package } must be a package name', async () => {
    for (const bad of [{ package: './local-file.js' }, { package: '' }, { package: 'Upper' }, { package: 42 }, {}]) {
      const err = await createBackend(bad as never).catch((e) => e);
      expect(err, JSON.stringify(bad)).toBeInstanceOf(ValueError);
      expect(err.message).toMatch(/^createBackend: package expected the npm name of an installed backend package/);
    }
  });
});

describe('options of the backend asked for are checked, not turned into "unavailable"', () => {
  it('createBackend(name, options) rejects a misspelled or mistyped option with the factory\'s ValueError', async () => {
    registered.push('strict');
    registerBackend('strict', async (options) => {
      checkBackendOptions('strict.createBackend', options, { threads: 'number' });
      return createFakeBackend('strict').backend;
    });
    const typo = await createBackend('strict', { thread: 1 }).catch((e) => e);
    expect(typo).toBeInstanceOf(ValueError);
    expect(typo).toMatchObject({ code: 'E_VALUE', op: 'strict.createBackend', argument: 'options.thread' });
    expect(typo.message).toContain("did you mean 'threads'");
    const wrongType = await selectBackend('strict', { threads: '2' }).catch((e) => e);
    expect(wrongType).toMatchObject({ code: 'E_VALUE', argument: 'options.threads' });
    expect((await createBackend('strict', { threads: 2 })).name).toBe('strict');
  });

  it("the built-in cpu backend, which takes no options, says so (by name; with 'auto' it is one more attempt)", async () => {
    const err = await createBackend('cpu', { thread: 1 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_VALUE', op: 'cpu.createBackend', argument: 'options.thread' });
    expect(err.message).toContain('no options (cpu.createBackend takes none)');
    expect(err.message).not.toContain('one of ,');
  });

  it("with 'auto', a backend that rejects the options is a failed attempt and the next one is tried", async () => {
    registered.push('picky');
    registerBackend('picky', async (options) => {
      checkBackendOptions('picky.createBackend', options, {});
      return createFakeBackend('picky').backend;
    }, { priority: 1000 });
    register('lenient', 999);
    const { backend, attempts } = await selectBackend('auto', { threads: 1 });
    expect(backend.name).toBe('lenient');
    expect(attempts[0]).toMatchObject({ name: 'picky', installed: true, reason: expect.stringContaining('options.threads') });
  });
});

describe('checkBackendOptions', () => {
  it('a backend with no options names the key and says it takes none', () => {
    expect(() => checkBackendOptions('x.createBackend', { a: 1 }, {})).toThrow('x.createBackend: options.a expected no options (x.createBackend takes none), got unknown option \'a\'');
  });
});
