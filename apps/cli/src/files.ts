/**
 * Output and input files named by flags: checked before any work starts, so a typo in a
 * path costs nothing and is reported as the flag's problem, never as a raw `ENOENT`.
 */
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliFailure, UsageError } from './args.js';

/**
 * Throw a {@link UsageError} naming `flag` when `path` cannot be written: its directory is
 * missing, not a directory or not writable, or `path` itself is a directory.
 */
export function checkWritable(flag: string, path: string, command: string): void {
  const where = `${flag} ${path}`;
  const full = resolve(path);
  if (existsSync(full)) {
    if (statSync(full).isDirectory()) throw new UsageError(`${where}: is a directory, expected a file name`, command);
    try {
      accessSync(full, constants.W_OK);
    } catch {
      throw new UsageError(`${where}: the file exists and is not writable`, command);
    }
    return;
  }
  const dir = dirname(full);
  if (!existsSync(dir)) throw new UsageError(`${where}: the directory ${dirname(path)} does not exist`, command);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${where}: ${dirname(path)} is not a directory`, command);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${where}: the directory ${dirname(path)} is not writable`, command);
  }
}

/** Write `data` to `path`; a failure (disk full, removed directory) names the flag. */
export function writeOutput(flag: string, path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new CliFailure(`${flag} ${path}: cannot write: ${(err as Error).message}`, 'E_IO');
  }
}
