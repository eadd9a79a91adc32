/**
 * createBackend's options are checked before any device is requested: unknown keys (with the
 * nearest known one), wrong types and values outside their set are typed ValueErrors.
 */
import { ValueError } from '@llama-ops/core';
import { describe, expect, it } from 'vitest';
import { createBackend, type WebGpuBackendOptions } from '../src/index.js';

const noAdapter = { requestAdapter: async () => null, wgslLanguageFeatures: new Set() } as unknown as GPU;

describe('createBackend options', () => {
  it.each([
    [{ gqaKernal: 'auto' }, /options\.gqaKernal.*gqaKernel/s],
    [{ subgroup: false }, /subgroup.*subgroups/s],
    [{ poolbytes: 1 }, /poolbytes.*poolBytes/s],
  ])('an unknown key is a ValueError naming it and the nearest option: %j', async (options, message) => {
    const err = await createBackend(options as WebGpuBackendOptions).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    [{ f16: 'yes' }, 'options.f16'],
    [{ subgroups: 1 }, 'options.subgroups'],
    [{ poolBytes: '5' }, 'options.poolBytes'],
    [{ poolBytes: -1 }, 'options.poolBytes'],
    [{ poolBytes: Number.POSITIVE_INFINITY }, 'options.poolBytes'],
    [{ gqaKernel: 'fast' }, 'options.gqaKernel'],
    [{ gqaKernel: 3 }, 'options.gqaKernel'],
    [{ powerPreference: 'fastest' }, 'options.powerPreference'],
    [{ dawnFlags: 'backend=null' }, 'options.dawnFlags'],
    [{ dawnFlags: [1] }, 'options.dawnFlags'],
    [{ requiredLimits: { maxBufferSize: '1' } }, 'options.requiredLimits.maxBufferSize'],
    [{ device: null }, 'options.device'],
    [{ gpu: 'navigator.gpu' }, 'options.gpu'],
  ])('a wrong type or value is a ValueError on that option: %j', async (options, argument) => {
    const err = await createBackend(options as unknown as WebGpuBackendOptions).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect((err as ValueError).argument).toBe(argument);
  });

  it('accepts every documented option (the check runs before the adapter request, which fails here)', async () => {
    const options: Required<Omit<WebGpuBackendOptions, 'device'>> = {
      gpu: noAdapter,
      powerPreference: 'low-power',
      requiredLimits: { maxBufferSize: 1024 },
      dawnFlags: [],
      subgroups: false,
      f16: false,
      gqaKernel: 'flash-decoding',
      poolBytes: 0,
    };
    await expect(createBackend(options)).rejects.toThrow(/found no GPU adapter/);
  });
});
