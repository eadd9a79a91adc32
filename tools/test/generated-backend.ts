// Shared by the generator tests: make a generated backend's kernels delegate to the cpu
// backend's (a correct implementation with the same storage, Float32Array), and read the
// JSON report of its conformance run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export type KernelOp = 'rmsnorm' | 'rope' | 'gqa';

/** Rewrite `src/<op>.ts` of the package in `dir` to call the cpu backend's kernel. */
export function delegateToCpu(dir: string, storageType: string, op: KernelOp): void {
  const params = `${op === 'gqa' ? 'Gqa' : op === 'rope' ? 'Rope' : 'Rmsnorm'}KernelParams`;
  writeFileSync(
    join(dir, 'src', `${op}.ts`),
    `// Test only: delegate to the cpu backend's kernel (same storage: Float32Array).
import { createCpuKernels } from '@llama-ops/backend-cpu';
import type { ${params} } from '@llama-ops/core';
import type { ${storageType} } from './memory.js';

const cpu = createCpuKernels();
export function ${op}(p: ${params}<${storageType}>): void {
  cpu.${op}(p);
}
`,
  );
}

/** One test of a vitest JSON report. */
export interface Assertion {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}

/** The op a conformance test belongs to (`describe('conformance: <name>') > describe(op)`). */
export const opOf = (t: Assertion) => t.ancestorTitles[1] ?? '';

/** The tests of a vitest JSON report; fails on file-level errors (a crash, an import error). */
export function readReport(file: string, output: string): Assertion[] {
  expect(existsSync(file), `vitest wrote no report:\n${output}`).toBe(true);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const files = json.testResults as Array<{ status: string; message: string; assertionResults: Assertion[] }>;
  expect(files.map((f) => f.message).filter(Boolean), 'file-level errors').toEqual([]);
  return files.flatMap((f) => f.assertionResults);
}
