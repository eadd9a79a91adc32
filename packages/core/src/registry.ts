/**
 * The backend registry and runtime backend choice. Backends are tried in priority order
 * and fall through on failure, keeping the reason (as TensorFlow.js's engine does).
 * The built-in backends need no registration: when a built-in name is not registered,
 * its package (`@llama-ops/backend-<name>`) is imported on demand if it is installed.
 */
import type { Backend } from './backend.js';
import { BackendUnavailableError, ValueError, type BackendAttempt } from './errors.js';
import type { BackendCapabilities } from './kernels.js';

/** Names of the backends this project ships. */
export type BuiltinBackendName = 'cpu' | 'wasm' | 'webgpu';

/** Creates a backend; rejects (with a reason) when it is not available here. */
export type BackendFactory = (options?: Record<string, unknown>) => Promise<Backend>;

/** Options of {@link registerBackend}. */
export interface RegisterBackendOptions {
  /** Higher is tried first by `'auto'`. Built-ins: webgpu 30, wasm 20, cpu 10. Default 0. */
  priority?: number;
}

/** One line of {@link listBackends}. */
export interface BackendStatus {
  name: string;
  priority: number;
  /** True when the backend is registered or its package can be imported. */
  installed: boolean;
  /** True when a backend could be created here. */
  available: boolean;
  /** Why it is not installed or not available. */
  reason?: string;
  /** The command that installs it, when it is a built-in that is not installed. */
  install?: string;
  capabilities?: BackendCapabilities;
}

/** The backend {@link selectBackend} chose, and every backend it tried before. */
export interface BackendSelection {
  backend: Backend;
  /** Backends tried before the chosen one, with the reason each failed. */
  attempts: BackendAttempt[];
}

interface Entry {
  factory: BackendFactory;
  priority: number;
}

const BUILTIN_PRIORITY: Record<BuiltinBackendName, number> = { webgpu: 30, wasm: 20, cpu: 10 };
const registry = new Map<string, Entry>();

/** The npm package of a built-in backend. */
export function backendPackageName(name: BuiltinBackendName): string {
  return `@llama-ops/backend-${name}`;
}

function isBuiltin(name: string): name is BuiltinBackendName {
  return name in BUILTIN_PRIORITY;
}

/**
 * Register (or replace) a backend factory under `name`, e.g. a third-party backend.
 * @example
 * registerBackend('mygpu', (o) => createMyBackend(o), { priority: 40 });
 */
export function registerBackend(name: string, factory: BackendFactory, options: RegisterBackendOptions = {}): void {
  if (typeof name !== 'string' || name.length === 0 || name === 'auto') {
    throw new ValueError({ op: 'registerBackend', argument: 'name', expected: "a non-empty name other than 'auto'", actual: String(name) });
  }
  if (typeof factory !== 'function') {
    throw new ValueError({ op: 'registerBackend', argument: 'factory', expected: 'a function returning Promise<Backend>', actual: typeof factory });
  }
  const priority = options.priority ?? (isBuiltin(name) ? BUILTIN_PRIORITY[name] : 0);
  registry.set(name, { factory, priority });
}

/** Remove a registered backend. Returns whether it was registered. */
export function unregisterBackend(name: string): boolean {
  return registry.delete(name);
}

interface Resolved {
  entry: Entry | null;
  /** Set when the backend is not installed. */
  missing?: BackendAttempt;
}

async function resolve(name: string): Promise<Resolved> {
  const registered = registry.get(name);
  if (registered) return { entry: registered };
  if (!isBuiltin(name)) {
    return { entry: null, missing: { name, installed: false, reason: `no backend named '${name}' is registered` } };
  }
  const pkg = backendPackageName(name);
  let mod: { createBackend?: BackendFactory };
  try {
    mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ pkg)) as { createBackend?: BackendFactory };
  } catch (err) {
    return {
      entry: null,
      missing: {
        name,
        installed: false,
        install: `npm install ${pkg}`,
        reason: `${pkg} is not installed (${(err as Error).message.split('\n')[0]})`,
      },
    };
  }
  if (typeof mod.createBackend !== 'function') {
    return { entry: null, missing: { name, installed: true, reason: `${pkg} does not export createBackend()` } };
  }
  const entry = { factory: mod.createBackend, priority: BUILTIN_PRIORITY[name] };
  registry.set(name, entry);
  return { entry };
}

async function tryCreate(name: string, options: Record<string, unknown> | undefined): Promise<Backend | BackendAttempt> {
  const { entry, missing } = await resolve(name);
  if (!entry) return missing as BackendAttempt;
  try {
    return await entry.factory(options);
  } catch (err) {
    return { name, installed: true, reason: (err as Error)?.message ?? String(err) };
  }
}

/**
 * Names `'auto'` tries, best first: every registered backend and every built-in, by priority.
 * Nothing is imported or created.
 */
export function backendCandidates(): string[] {
  return candidates();
}

function candidates(): string[] {
  const names = new Set<string>([...registry.keys(), ...Object.keys(BUILTIN_PRIORITY)]);
  const priority = (n: string) => registry.get(n)?.priority ?? (isBuiltin(n) ? BUILTIN_PRIORITY[n] : 0);
  return [...names].sort((a, b) => priority(b) - priority(a));
}

/**
 * Create a backend chosen at run time, and report what was tried.
 * `'auto'` tries every registered or installed backend, best first (webgpu, wasm, cpu,
 * or by registered priority), and returns the first that can be created here.
 * @throws BackendUnavailableError listing each attempt and its reason.
 */
export async function selectBackend(name: string = 'auto', options?: Record<string, unknown>): Promise<BackendSelection> {
  const names = name === 'auto' ? candidates() : [name];
  const attempts: BackendAttempt[] = [];
  for (const n of names) {
    const result = await tryCreate(n, options);
    if ('kernels' in result) return { backend: result, attempts };
    attempts.push(result);
  }
  const detail = attempts.map((a) => `${a.name}: ${a.reason}${a.install ? ` (install: ${a.install})` : ''}`).join('; ');
  throw new BackendUnavailableError(
    { op: 'createBackend', argument: 'name', expected: name === 'auto' ? 'an available backend' : `the '${name}' backend to be available`, hint: detail },
    attempts,
  );
}

/**
 * Create a backend by name at run time: `'auto' | 'cpu' | 'wasm' | 'webgpu'` or the
 * name of a registered third-party backend.
 * @example
 * const be = await createBackend('auto');
 * @throws BackendUnavailableError when no matching backend can be created here.
 */
export async function createBackend(name: 'auto' | BuiltinBackendName | (string & {}) = 'auto', options?: Record<string, unknown>): Promise<Backend> {
  return (await selectBackend(name, options)).backend;
}

/**
 * Every registered or built-in backend, whether it is installed and available here (and
 * why not), with its capabilities. Each available backend is created once and disposed.
 */
export async function listBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const name of candidates()) {
    const priority = registry.get(name)?.priority ?? (isBuiltin(name) ? BUILTIN_PRIORITY[name] : 0);
    const result = await tryCreate(name, undefined);
    if ('kernels' in result) {
      out.push({ name, priority, installed: true, available: true, capabilities: result.capabilities });
      result.dispose();
    } else {
      out.push({ name, priority, installed: result.installed, available: false, reason: result.reason, install: result.install });
    }
  }
  return out;
}
