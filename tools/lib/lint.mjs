// Package lint of the packed tarballs: publint (strict, suggestions count) and
// "Are the Types Wrong?" with the esm-only profile (our packages are ESM-only, so
// `require()` from CommonJS and node10 resolution are not supported on purpose).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const require = createRequire(import.meta.url);
const ATTW_BIN = join(dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');

/**
 * publint on a tarball. Every message (suggestions too) is a problem: a package we
 * publish should not need a "could be better".
 * @param {string} tarball
 * @returns {Promise<string[]>} the problems, formatted; empty when clean
 */
export async function publintTarball(tarball) {
  const buf = readFileSync(tarball);
  const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const result = await publint({ pack: { tarball: data }, strict: true, level: 'suggestion' });
  return result.messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, result.pkg, { color: false })}`);
}

/**
 * attw on a tarball with `--profile esm-only`.
 * @param {string} tarball
 * @returns {string[]} the problems, formatted; empty when clean
 */
export function attwTarball(tarball) {
  const r = spawnSync(process.execPath, [ATTW_BIN, tarball, '--profile', 'esm-only', '--format', 'json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    return [`attw did not run (exit ${r.status}): ${r.stderr || r.stdout}`.trim()];
  }
  const ignored = new Set(['node10', 'node16-cjs']);
  const problems = (report.analysis?.problems ?? []).filter((p) => !ignored.has(p.resolutionKind));
  const lines = problems.map((p) => `${p.kind} at '${p.entrypoint ?? '?'}' (${p.resolutionKind ?? 'all resolutions'})`);
  if (r.status !== 0 && lines.length === 0) lines.push(`attw exited ${r.status}: ${r.stderr}`.trim());
  return lines;
}
