import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  ValueError,
  createBackend,
  listBackends,
  registerBackend,
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
    // In core's own tests no backend package is resolvable.
    const err = await createBackend('webgpu').catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.attempts[0]).toMatchObject({ name: 'webgpu', installed: false, install: 'npm install @llama-ops/backend-webgpu' });
    expect(err.message).toContain('npm install @llama-ops/backend-webgpu');
  });

  it('an unknown name is unavailable, with a reason', async () => {
    const err = await createBackend('nope').catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.attempts[0].reason).toContain("no backend named 'nope'");
  });

  it('listBackends reports registered, available and unavailable backends with reasons and capabilities', async () => {
    register('ok', 50);
    register('broken', 60, 'shared memory is not allowed');
    const list = await listBackends();
    const byName = Object.fromEntries(list.map((s) => [s.name, s]));
    expect(byName.ok).toMatchObject({ installed: true, available: true, capabilities: { dtypes: ['f32'] } });
    expect(byName.broken).toMatchObject({ installed: true, available: false, reason: 'shared memory is not allowed' });
    expect(byName.cpu).toMatchObject({ installed: false, available: false, install: 'npm install @llama-ops/backend-cpu' });
    expect(list.map((s) => s.name).indexOf('broken')).toBeLessThan(list.map((s) => s.name).indexOf('ok'));
  });

  it('rejects bad registrations', () => {
    expect(() => registerBackend('auto', async () => createFakeBackend().backend)).toThrow(ValueError);
    expect(() => registerBackend('x', 5 as never)).toThrow(ValueError);
  });
});
