import { BackendUnavailableError, createBackend as createByName, registerBackend, unregisterBackend } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

const noAdapter = { requestAdapter: async () => null, getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: new Set() } as unknown as GPU;

describe('when WebGPU cannot run', () => {
  it('rejects with the reason when no adapter is found', async () => {
    await expect(createBackend({ gpu: noAdapter })).rejects.toThrow(/found no GPU adapter/);
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
