// RoPE is a rotation: deterministic, length-keeping, linear, relative.
import { rope } from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-cpu';

const be = await createBackend();
const d = 64;
const vec = (seed) =>
  Float32Array.from({ length: d }, (_, i) => 2 * Math.sin(seed * 13 + i * 78));
const at = (v, position) =>
  rope(be.tensor(v, [1, 1, 1, d]), { positions: position }).read();
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a) => Math.sqrt(dot(a, a)).toFixed(5);

const q = vec(1);
const k = vec(2);
const rotated = await at(q, 12345);
console.log(`|q| = ${norm(q)}, |rope(q) at 12345| = ${norm(rotated)}`);

for (const [m, n] of [[7, 3], [1007, 1003], [100007, 100003]]) {
  const score = dot(await at(q, m), await at(k, n));
  console.log(`q at ${m}, k at ${n}: q'·k' = ${score.toFixed(4)}`);
}

const zeros = await at(new Float32Array(d), 500);
console.log(`rope(0) is all zeros: ${zeros.every((v) => v === 0)}`);

const once = await at(q, 500);
const twice = await at(q.map((v) => 2 * v), 500);
const gap = Math.max(...twice.map((v, i) => Math.abs(v - 2 * once[i])));
console.log(`max |rope(2q) - 2 rope(q)| = ${gap}`);

const again = await at(q, 500);
console.log(`same input, same output: ${again.every((v, i) => v === once[i])}`);
be.dispose();
