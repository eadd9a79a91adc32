/**
 * The one software-adapter detection (`capabilities.software`), on adapter info as Dawn and
 * Chromium report it. The real adapters are checked too: every GPU project runs on one
 * (SwiftShader, lavapipe), see kernels.suite.ts.
 */
import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from '../src/device.js';

describe('isSoftwareAdapter', () => {
  it.each([
    // Dawn on SwiftShader (the swiftshader project), as Dawn 0.6 reports it.
    ['SwiftShader (Dawn)', { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' }],
    // Chromium's SwiftShader, which may leave the architecture out.
    ['SwiftShader (Chromium)', { vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)' }],
    // Dawn on Mesa's lavapipe (the lavapipe project).
    ['lavapipe', { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1' }],
    ['llvmpipe, named in the description only', { vendor: '', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }],
    ['an adapter that calls itself a CPU', { vendor: 'mesa', architecture: '', device: '', description: 'CPU rasteriser' }],
  ])('%s is software', (_name, info) => {
    expect(isSoftwareAdapter(info)).toBe(true);
  });

  it.each([
    ['NVIDIA H100 (Dawn on Vulkan)', { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' }],
    ['Apple M2 (Chromium)', { vendor: 'apple', architecture: 'metal-3', device: '', description: '' }],
    ['an adapter that says nothing', {}],
    ['no adapter info', undefined],
  ])('%s is not software', (_name, info) => {
    expect(isSoftwareAdapter(info)).toBe(false);
  });
});
