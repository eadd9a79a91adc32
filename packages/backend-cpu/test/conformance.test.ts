/**
 * The shared conformance kit, fixed cases and the seeded random mode, against the cpu
 * backend. The cpu backend supports every op and option in f32; the kit skips f16 cases
 * itself from `capabilities.dtypes`.
 */
import { runConformance } from '@llama-ops/conformance';
import { createBackend } from '../src/index.js';

runConformance({ name: 'cpu', createBackend: () => createBackend() });
