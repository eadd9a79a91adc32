#!/usr/bin/env node
// `pnpm llama-ops <args>` (and `pnpm demo`) from the repository root: build the CLI and the
// packages it runs, then run `llama-ops <args>` with the terminal attached.
//
// The build is quiet: turbo's output is kept and shown only when the build fails, so the
// first thing a new user sees after `pnpm install` is the command's own output. Turbo's
// cache makes the build a no-op (about a second) once the packages are built.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const cli = join(root, 'apps', 'cli', 'dist', 'cli.js');

function onPath(command) {
  const names = process.platform === 'win32' ? [`${command}.cmd`, `${command}.exe`] : [command];
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && names.some((n) => existsSync(join(dir, n))));
}

function build() {
  const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
  if (!existsSync(turbo)) {
    console.error('llama-ops: the workspace is not installed: run `npx -y pnpm@10.34.8 install` first');
    process.exit(1);
  }
  // turbo runs the package builds through the repo's package manager, which it looks up on
  // PATH: pnpm puts itself there for `pnpm llama-ops`; a plain `node scripts/...` may not.
  if (!onPath('pnpm')) {
    console.error('llama-ops: pnpm is not on PATH, and the build needs it: run this as `npx -y pnpm@10.34.8 llama-ops <args>`');
    process.exit(1);
  }
  const interactive = process.stderr.isTTY === true;
  if (interactive) process.stderr.write('building llama-ops (the first build takes about a minute)…');
  const r = spawnSync(turbo, ['run', 'build', '--filter=@llama-ops/cli...', '--output-logs=errors-only', '--log-order=grouped'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
  });
  if (interactive) process.stderr.write('\r\x1b[K');
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    console.error(`llama-ops: the build failed (${r.error ? r.error.message : `turbo exited ${r.status}`}); its output is above`);
    process.exit(1);
  }
}

// `LLAMA_OPS_SKIP_BUILD=1` runs whatever is built (the tests use it after their own build).
if (process.env.LLAMA_OPS_SKIP_BUILD !== '1') build();
// pnpm runs root scripts in the root; relative paths (--input, --out) are the user's.
const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: process.env.INIT_CWD ?? process.cwd() });
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
