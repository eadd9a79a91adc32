import { inject } from 'vitest';
import { kernelSuite } from './kernels.suite.js';

kernelSuite({ expectF16: inject('expectF16') });
