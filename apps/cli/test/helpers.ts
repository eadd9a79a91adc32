/** Run the BUILT binary (`dist/cli.js`) as a subprocess, as a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/**
 * The conformance verdict cache of every CLI run in this test file: a private directory, so
 * tests neither read nor write the user's `~/.cache/llama-ops` (a test may pass its own).
 */
export const TEST_CACHE_DIR = mkdtempSync(join(tmpdir(), 'llama-ops-cli-cache-'));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node dist/cli.js ...args` with a clean colour/backend environment. */
export function cli(args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; bin?: string } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, LLAMA_OPS_BACKEND: undefined, LLAMA_OPS_CACHE_DIR: TEST_CACHE_DIR, ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [options.bin ?? CLI, ...args], {
    env: env as NodeJS.ProcessEnv,
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * {@link cli} without blocking: tables of quick usage checks run as concurrent tests
 * (`it.concurrent`), so their process start-ups overlap instead of adding up.
 */
export function cliAsync(args: readonly string[], options: { env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, LLAMA_OPS_BACKEND: undefined, LLAMA_OPS_CACHE_DIR: TEST_CACHE_DIR, ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parse stdout as JSON, failing with the output when it is not. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
