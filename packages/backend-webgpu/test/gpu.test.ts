import { inject } from 'vitest';
import { handoverSuite } from './handover.suite.js';
import { kernelSuite } from './kernels.suite.js';
import { uniformLayoutSuite } from './uniforms.suite.js';
import { viewsSuite } from './views.suite.js';

kernelSuite({ expectF16: inject('expectF16') });
uniformLayoutSuite();
viewsSuite({ expectF16: inject('expectF16') });
handoverSuite();
