/**
 * The project's conformance kit (every op, every option, float64 reference) on this
 * backend, in each GPU project: Dawn on SwiftShader, Dawn on lavapipe (with f16) and
 * headless Chromium. The random mode's size is per project (SwiftShader in the browser is
 * the slowest path); see vitest.config.ts.
 */
import { runConformance } from '@llama-ops/conformance';
import { inject } from 'vitest';
import { createBackend } from '../src/index.js';

runConformance({
  name: 'webgpu',
  createBackend: () => createBackend(),
  random: { runs: inject('conformanceRuns') },
});
