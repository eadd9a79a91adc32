import { rmsnorm } from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-cpu';

const be = await createBackend();
const x = be.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]); // data, shape
const w = be.tensor([1, 1, 1, 1], [4]);
const y = rmsnorm(x, w, { eps: 1e-6 });

const values = await y.read();
console.log(
  `shape [${y.shape}]:`,
  Array.from(values, (v) => v.toFixed(4)).join(' '),
);
be.dispose();
