import { inject } from 'vitest';
import { kernelSuite } from './kernels.suite.js';
import { uniformLayoutSuite } from './uniforms.suite.js';

kernelSuite({ expectF16: inject('expectF16') });
uniformLayoutSuite();
