// RMSNorm divides by the root mean square: no mean subtracted, no bias.
import { rmsnorm } from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-cpu';

const be = await createBackend();
const x = [3, 4, 5, 6, 7, 8, 9, 10]; // mean 6.5
const w = be.tensor(new Array(8).fill(1), [8]);
const norm = (v) => rmsnorm(be.tensor(v, [1, 8]), w, { eps: 1e-6 }).read();
const mean = (v) => v.reduce((s, t) => s + t, 0) / v.length;
const show = (v) => Array.from(v, (t) => t.toFixed(4)).join(' ');

const y = await norm(x);
const rms = Math.sqrt(mean(x.map((t) => t * t)) + 1e-6);
console.log(`rmsnorm(x) = ${show(y)}`);
console.log(`x / rms(x) = ${show(x.map((t) => t / rms))}`);
console.log(`mean(y) = ${mean([...y]).toFixed(4)} (not 0)`);
const rmsY = Math.sqrt(mean([...y].map((t) => t * t)));
console.log(`rms(y)  = ${rmsY.toFixed(4)}`);

const shifted = await norm(x.map((t) => t + 100));
console.log(`rmsnorm(x + 100)[0] = ${shifted[0].toFixed(4)}`);
console.log(`rmsnorm(x)[0]       = ${y[0].toFixed(4)}`);
console.log(`y has the shape of x: [${x.length}] -> [${y.length}]`);
be.dispose();
