import { BackendUnavailableError, LlamaOpsError, createBackend as createByName, registerBackend, unregisterBackend } from '@llama-ops/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBackend } from '../src/index.js';

const noAdapter = { requestAdapter: async () => null, getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: new Set() } as unknown as GPU;
const failingAdapter = {
  requestAdapter: async () => {
    throw new Error('driver crashed');
  },
  wgslLanguageFeatures: new Set(),
} as unknown as GPU;

describe('when WebGPU cannot run', () => {
  it('rejects with the typed BackendUnavailableError (code E_BACKEND_UNAVAILABLE) and the reason', async () => {
    const err = await createBackend({ gpu: noAdapter }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err).toBeInstanceOf(LlamaOpsError);
    const e = err as BackendUnavailableError;
    expect(e.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(e.name).toBe('BackendUnavailableError');
    expect(e.message).toMatch(/found no GPU adapter/);
    expect(e.attempts).toEqual([{ name: 'webgpu', installed: true, reason: expect.stringMatching(/^WebGPU is not available: navigator.gpu found no GPU adapter/) }]);
  });

  it('an adapter request that throws is the same typed error, with the cause in the reason', async () => {
    const err = (await createBackend({ gpu: failingAdapter }).catch((e: unknown) => e)) as BackendUnavailableError;
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.attempts[0].reason).toMatch(/failed to give an adapter \(driver crashed\)/);
  });

  it("core's registry reports the webgpu backend unavailable with that reason", async () => {
    registerBackend('webgpu', () => createBackend({ gpu: noAdapter }));
    try {
      const err = await createByName('webgpu').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as BackendUnavailableError).attempts[0].reason).toMatch(/found no GPU adapter/);
    } finally {
      unregisterBackend('webgpu');
    }
  });
});

describe('a global navigator without gpu (Node 21+ has one)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is not taken for a browser: the device comes from Dawn', async () => {
    // Node 20 has no navigator: give it the one Node 21+ has (no `gpu` member).
    const nodeNavigator = (globalThis as { navigator?: object }).navigator;
    if (nodeNavigator === undefined) vi.stubGlobal('navigator', { hardwareConcurrency: 2, userAgent: 'Node.js/21' });
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    // Dawn's validating null backend: an adapter without any Vulkan driver.
    const be = await createBackend({ dawnFlags: ['backend=null'] });
    try {
      expect(be.capabilities.adapter?.device).toBe('null-backend');
    } finally {
      be.dispose();
    }
  });
});
