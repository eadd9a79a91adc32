import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/** The packed tarball of a public package; fails the test when it could not be packed. */
export function tarballOf(name: string): string {
  const file = inject('tarballs')[name];
  if (!file) throw new Error(`${name} was not packed: it has no dist/ (did its build fail? run pnpm build)`);
  return file;
}

/**
 * One npm cache for every run (kept between runs, in the OS temp dir): tarballs of
 * third-party packages (e.g. `webgpu`, `vitest`) are downloaded once.
 */
export const NPM_CACHE = join(tmpdir(), 'llama-ops-release-tests-npm-cache');

/** npm flags of every install in these tests: quiet, no audit, the shared cache. */
export const NPM_INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', '--cache', NPM_CACHE];

/** The env for a child npm/node: no pnpm-injected npm_* settings (or vitest's own) leak into it. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !k.startsWith('VITEST')) env[k] = v;
  return { ...env, ...extra };
}

/** Run a command; its exit status and output, never a throw. */
export function sh(cmd: string, args: string[], cwd: string, env = cleanEnv()) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '', error: r.error };
}
