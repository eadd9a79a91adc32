/**
 * Cached verdicts of the conformance probe, so `chooseBackend` probes once per device and
 * version: in `localStorage` in a browser, in a small JSON file under the user's cache
 * directory in Node. The cache is best-effort: a store that cannot be read or written acts
 * as empty, never as an error.
 */
import type { Backend } from '@llama-ops/core';
import { version as kitVersion } from '../package.json';

/** A probe's outcome for one backend on one device. */
export interface Verdict {
  ok: boolean;
  /** The failing case and its error, when not ok. */
  reason?: string;
  /** Cases the probe ran. */
  cases: number;
  /** Milliseconds the probe took. */
  ms: number;
  /** When it ran (ISO 8601). */
  at: string;
}

/** Where verdicts are kept. */
export interface VerdictStore {
  get(key: string): Promise<Verdict | undefined>;
  set(key: string, verdict: Verdict): Promise<void>;
  /** Forget every verdict. */
  clear(): Promise<void>;
}

/**
 * The cache key of a backend's verdict: backend name and version, adapter (vendor,
 * architecture, device, driver description), storage dtypes, probe kind and the kit's own
 * version (a newer kit has other cases). Null when the backend declares no version: such a
 * backend is probed every time.
 */
export function verdictKey(name: string, backend: Backend, verify: 'quick' | 'full'): string | null {
  const version = backend.version;
  if (!version) return null;
  const a = backend.capabilities.adapter;
  const adapter = a ? [a.vendor, a.architecture, a.device, a.description].map((x) => x ?? '').join('/') : 'host';
  return `${name}@${version}|${adapter}|${backend.capabilities.dtypes.join(',')}|threads=${backend.capabilities.threads ?? 1}|${verify}|kit@${kitVersion}`;
}

/** A store in memory (tests, or an app that keeps verdicts its own way). */
export function memoryVerdictStore(): VerdictStore {
  const map = new Map<string, Verdict>();
  return {
    get: async (key) => map.get(key),
    set: async (key, v) => void map.set(key, v),
    clear: async () => map.clear(),
  };
}

const STORAGE_KEY = 'llama-ops:conformance-verdicts';

/** The platform's store: `localStorage` in a browser, a file in Node, else in memory. */
export async function defaultVerdictStore(): Promise<VerdictStore> {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (storage && typeof storage.getItem === 'function') return localStorageStore(storage);
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    const file = await nodeVerdictFile();
    if (file) return fileVerdictStore(file);
  }
  return memoryVerdictStore();
}

interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function localStorageStore(storage: Storage): VerdictStore {
  const load = (): Record<string, Verdict> => {
    try {
      return JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}') as Record<string, Verdict>;
    } catch {
      return {};
    }
  };
  return {
    get: async (key) => load()[key],
    set: async (key, v) => {
      try {
        storage.setItem(STORAGE_KEY, JSON.stringify({ ...load(), [key]: v }));
      } catch {
        // quota or privacy mode: no cache
      }
    },
    clear: async () => storage.removeItem(STORAGE_KEY),
  };
}

/** The few Node APIs used here (this package builds for any platform, without Node's types). */
interface NodeOs {
  homedir(): string;
}
interface NodePath {
  join(...parts: string[]): string;
  dirname(p: string): string;
}
interface NodeFs {
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  writeFile(file: string, data: string): Promise<void>;
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  rename(from: string, to: string): Promise<void>;
}

// Node built-ins are imported by computed names so browser bundlers leave them alone.
const nodeModule = (name: string): Promise<unknown> => import(/* @vite-ignore */ /* webpackIgnore: true */ `node:${name}`);

/**
 * `verdicts.json` in the user's cache directory: `LLAMA_OPS_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/llama-ops`, `%LOCALAPPDATA%\llama-ops\cache` on Windows,
 * `~/Library/Caches/llama-ops` on macOS, `~/.cache/llama-ops` elsewhere.
 */
export async function nodeVerdictFile(): Promise<string | null> {
  try {
    const os = (await nodeModule('os')) as NodeOs;
    const path = (await nodeModule('path')) as NodePath;
    const env = (globalThis as { process: { env: Record<string, string | undefined>; platform: string } }).process;
    const e = env.env;
    const dir =
      e.LLAMA_OPS_CACHE_DIR ??
      (e.XDG_CACHE_HOME
        ? path.join(e.XDG_CACHE_HOME, 'llama-ops')
        : env.platform === 'win32' && e.LOCALAPPDATA
          ? path.join(e.LOCALAPPDATA, 'llama-ops', 'cache')
          : env.platform === 'darwin'
            ? path.join(os.homedir(), 'Library', 'Caches', 'llama-ops')
            : path.join(os.homedir(), '.cache', 'llama-ops'));
    return path.join(dir, 'verdicts.json');
  } catch {
    return null;
  }
}

/** A store in one JSON file (written atomically: a temporary file, then a rename). */
export function fileVerdictStore(file: string): VerdictStore {
  const fs = () => nodeModule('fs/promises') as Promise<NodeFs>;
  const load = async (): Promise<Record<string, Verdict>> => {
    try {
      return JSON.parse(await (await fs()).readFile(file, 'utf8')) as Record<string, Verdict>;
    } catch {
      return {};
    }
  };
  const save = async (all: Record<string, Verdict>) => {
    try {
      const f = await fs();
      const path = (await nodeModule('path')) as NodePath;
      await f.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${Math.random().toString(36).slice(2)}.tmp`;
      await f.writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
      await f.rename(tmp, file);
    } catch {
      // read-only home, sandbox: no cache
    }
  };
  return {
    get: async (key) => (await load())[key],
    set: async (key, v) => save({ ...(await load()), [key]: v }),
    clear: async () => save({}),
  };
}
