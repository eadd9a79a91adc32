/**
 * The backend registry and runtime backend choice. Backends are tried in priority order
 * and fall through on failure, keeping the reason (as TensorFlow.js's engine does).
 *
 * No backend needs registering to be created by name: when `name` is not registered, the
 * package `@llama-ops/backend-<name>` is imported on demand if it is installed (the built-ins
 * and any other backend published under that name), and a backend published under another
 * name is created with `createBackend({ package: '<its npm name>' })`. Either package must
 * export `createBackend(options?)` returning a `Promise<Backend>`.
 */
import type { Backend } from './backend.js';
import { BackendUnavailableError, ValueError, type BackendAttempt } from './errors.js';
import type { BackendCapabilities } from './kernels.js';

/** Names of the backends this project ships. */
export type BuiltinBackendName = 'cpu' | 'wasm' | 'webgpu';

/** Creates a backend; rejects (with a reason) when it is not available here. */
export type BackendFactory = (options?: Record<string, unknown>) => Promise<Backend>;

/**
 * A backend package named explicitly, for a backend published under a name other than
 * `@llama-ops/backend-<name>`: `createBackend({ package: 'llama-ops-backend-foo' })`.
 */
export interface BackendPackage {
  /**
   * The npm name of an installed package that exports `createBackend(options?)`, e.g.
   * `llama-ops-backend-foo` or `@acme/llama-ops-backend-foo`. It is imported from where
   * `@llama-ops/core` is installed, as `import(name)` would: a dependency of the app.
   */
  package: string;
}

/**
 * Which backend {@link createBackend} makes: `'auto'` (the best available), a backend name
 * (registered, built-in, or any installed `@llama-ops/backend-<name>`), or an explicitly
 * named package ({@link BackendPackage}).
 */
export type BackendRequest = 'auto' | BuiltinBackendName | (string & {}) | BackendPackage;

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

/** One built-in backend: its name, the npm package `createBackend(name)` imports, and its priority. */
export interface BuiltinBackend {
  name: BuiltinBackendName;
  /** `@llama-ops/backend-<name>`. */
  package: string;
  /** Higher is tried first by `'auto'`. */
  priority: number;
}

/**
 * The backends this project ships, best first: the one table of their names, packages and
 * priorities (apps list, install and order the built-ins from it).
 */
export const BUILTIN_BACKENDS: readonly BuiltinBackend[] = Object.freeze(
  (['webgpu', 'wasm', 'cpu'] as const).map((name, i) => Object.freeze({ name, package: backendPackageName(name), priority: 30 - 10 * i })),
);

const BUILTIN_PRIORITY = Object.fromEntries(BUILTIN_BACKENDS.map((b) => [b.name, b.priority])) as Record<BuiltinBackendName, number>;
const registry = new Map<string, Entry>();
/** Factories of explicitly named packages, by package name, once imported. */
const packages = new Map<string, BackendFactory>();

/** A backend name that can end a package name: lower-case letters, digits, `-`, `.`, `_`. */
const BACKEND_NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** An npm package name, scoped or not (lower case, as npm requires of new packages). */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * The npm package `createBackend(name)` imports when `name` is not registered:
 * `@llama-ops/backend-<name>` (the built-ins are `@llama-ops/backend-cpu`, `-wasm`, `-webgpu`).
 */
export function backendPackageName(name: BuiltinBackendName | (string & {})): string {
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
  factory: BackendFactory | null;
  /** Set when there is no factory: why, and whether the package is installed. */
  missing?: BackendAttempt;
}

/** True when `err` (from `import(pkg)`) says that `pkg` itself cannot be found, not something it imports. */
function isNotFound(err: unknown, pkg: string): boolean {
  const message = String((err as Error)?.message ?? err);
  const quoted = message.includes(`'${pkg}'`) || message.includes(`"${pkg}"`);
  // Node: ERR_MODULE_NOT_FOUND "Cannot find package 'x'"; browsers: "Failed to resolve module specifier "x"".
  return quoted && /cannot find (package|module)|failed to resolve|not found/i.test(message);
}

/** Import `pkg` and take its `createBackend`; `name` labels the attempt. */
async function importFactory(pkg: string, name: string, notInstalled: (detail: string) => BackendAttempt): Promise<Resolved> {
  let mod: { createBackend?: unknown };
  try {
    mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ pkg)) as { createBackend?: unknown };
  } catch (err) {
    const detail = String((err as Error)?.message ?? err).split('\n')[0];
    if (isNotFound(err, pkg)) return { factory: null, missing: notInstalled(detail) };
    return { factory: null, missing: { name, installed: true, reason: `${pkg} is installed but could not be imported (${detail})` } };
  }
  if (typeof mod.createBackend !== 'function') {
    return { factory: null, missing: { name, installed: true, reason: `${pkg} does not export createBackend()` } };
  }
  return { factory: mod.createBackend as BackendFactory };
}

/** The factory of a backend name: registered, or imported from `@llama-ops/backend-<name>`. */
async function resolveName(name: string): Promise<Resolved> {
  const registered = registry.get(name);
  if (registered) return { factory: registered.factory };
  if (!BACKEND_NAME.test(name)) {
    return { factory: null, missing: { name, installed: false, reason: `no backend named '${name}' is registered (and '${name}' cannot end a package name)` } };
  }
  const pkg = backendPackageName(name);
  const builtin = isBuiltin(name);
  const resolved = await importFactory(pkg, name, (detail) =>
    builtin
      ? { name, installed: false, install: `npm install ${pkg}`, reason: `${pkg} is not installed (${detail})` }
      : { name, installed: false, reason: `no backend named '${name}' is registered, and ${pkg} is not installed (${detail})` },
  );
  // Imported once, it is a registered backend from now on ('auto' and listBackends see it).
  if (resolved.factory) registry.set(name, { factory: resolved.factory, priority: builtin ? BUILTIN_PRIORITY[name] : 0 });
  return resolved;
}

/** The factory of an explicitly named package. */
async function resolvePackage(pkg: string): Promise<Resolved> {
  const known = packages.get(pkg);
  if (known) return { factory: known };
  const resolved = await importFactory(pkg, pkg, (detail) => ({ name: pkg, installed: false, install: `npm install ${pkg}`, reason: `${pkg} is not installed (${detail})` }));
  if (resolved.factory) packages.set(pkg, resolved.factory);
  return resolved;
}

/**
 * Create from a factory; a rejection (or something that is not a Backend) becomes an attempt.
 * With `explicit` (one backend was asked for by name or package), a `ValueError` of the factory
 * (a misspelled or mistyped option) is the caller's mistake, not an unavailable backend: it
 * is rethrown as is.
 */
async function tryCreate(name: string, resolved: Resolved, options: Record<string, unknown> | undefined, explicit: boolean): Promise<Backend | BackendAttempt> {
  if (!resolved.factory) return resolved.missing as BackendAttempt;
  let result: unknown;
  try {
    result = await resolved.factory(options);
  } catch (err) {
    if (explicit && (err as { code?: unknown } | null)?.code === 'E_VALUE') throw err;
    return { name, installed: true, reason: (err as Error)?.message ?? String(err) };
  }
  if (!isBackend(result)) return { name, installed: true, reason: 'createBackend() did not return a Backend (wrap the kernels with defineBackend)' };
  return result;
}

/** A Backend as `defineBackend` makes it (checked by shape: a second copy of core makes another class). */
function isBackend(x: unknown): x is Backend {
  return typeof x === 'object' && x !== null && 'kernels' in x && typeof (x as Backend).tensor === 'function';
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

/** `request` as a package name when it names one explicitly, else null. */
function requestedPackage(request: BackendRequest): string | null {
  if (typeof request === 'string') return null;
  const pkg = (request as Partial<BackendPackage> | null)?.package;
  if (typeof pkg !== 'string' || !PACKAGE_NAME.test(pkg)) {
    throw new ValueError({
      op: 'createBackend',
      argument: 'package',
      expected: "the npm name of an installed backend package, e.g. { package: 'llama-ops-backend-foo' }",
      actual: typeof pkg === 'string' ? `'${pkg}'` : typeof request === 'object' && request !== null ? `{ package: ${String(pkg)} }` : String(request),
    });
  }
  return pkg;
}

/**
 * Create a backend chosen at run time, and report what was tried.
 * `'auto'` tries every registered or installed backend, best first (webgpu, wasm, cpu,
 * or by registered priority), and returns the first that can be created here. A name
 * that is not registered imports `@llama-ops/backend-<name>`; `{ package }` imports that
 * package (see {@link createBackend}).
 * @throws BackendUnavailableError listing each attempt and its reason.
 * @throws ValueError when `{ package }` is not a package name, or when the one backend asked for
 *   (by name or package) rejects `options` (an unknown key or a value of the wrong type).
 */
export async function selectBackend(request: BackendRequest = 'auto', options?: Record<string, unknown>): Promise<BackendSelection> {
  const pkg = requestedPackage(request);
  const attempts: BackendAttempt[] = [];
  if (pkg !== null) {
    const result = await tryCreate(pkg, await resolvePackage(pkg), options, true);
    if (isBackend(result)) return { backend: result, attempts };
    attempts.push(result);
    throw new BackendUnavailableError(
      { op: 'createBackend', argument: 'package', expected: `the backend of package ${pkg} to be available`, hint: describeAttempts(attempts) },
      attempts,
    );
  }
  const name = request as string;
  const names = name === 'auto' ? candidates() : [name];
  for (const n of names) {
    const result = await tryCreate(n, await resolveName(n), options, name !== 'auto');
    if (isBackend(result)) return { backend: result, attempts };
    attempts.push(result);
  }
  throw new BackendUnavailableError(
    { op: 'createBackend', argument: 'name', expected: name === 'auto' ? 'an available backend' : `the '${name}' backend to be available`, hint: describeAttempts(attempts) },
    attempts,
  );
}

const describeAttempts = (attempts: readonly BackendAttempt[]) =>
  attempts.map((a) => `${a.name}: ${a.reason}${a.install ? ` (install: ${a.install})` : ''}`).join('; ');

/**
 * Create a backend at run time.
 *
 * - `'auto'` (default): the best backend available here, trying webgpu, wasm, cpu and every
 *   registered backend by priority.
 * - a name: a backend registered under that name ({@link registerBackend}), else the
 *   installed package `@llama-ops/backend-<name>`: the built-ins `'cpu'`, `'wasm'`,
 *   `'webgpu'`, and any other backend published under that name.
 * - `{ package: '<npm name>' }`: a backend published under another name, e.g. a
 *   third-party `llama-ops-backend-foo`.
 *
 * A package is imported on first use (it must be installed, as a dependency of the app)
 * and must export `createBackend(options?)`; `options` are passed to it.
 * @example
 * const be = await createBackend('auto');
 * const wasm = await createBackend('wasm', { threads: 1 });
 * const foo = await createBackend({ package: 'llama-ops-backend-foo' });
 * @throws BackendUnavailableError when no matching backend can be created here; its
 *   `attempts` say, per backend tried, why (`installed: false` and an `install` command
 *   when the package is missing).
 * @throws ValueError when `{ package }` is not a package name, or when the one backend asked for
 *   (by name or package) rejects `options`, e.g. `createBackend('wasm', { thread: 1 })` (with
 *   `'auto'`, a backend that rejects the options is one more failed attempt).
 */
export async function createBackend(request: BackendRequest = 'auto', options?: Record<string, unknown>): Promise<Backend> {
  return (await selectBackend(request, options)).backend;
}

/**
 * Every registered or built-in backend, whether it is installed and available here (and
 * why not), with its capabilities. Each available backend is created once and disposed.
 */
export async function listBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const name of candidates()) {
    const priority = registry.get(name)?.priority ?? (isBuiltin(name) ? BUILTIN_PRIORITY[name] : 0);
    const result = await tryCreate(name, await resolveName(name), undefined, false);
    if (isBackend(result)) {
      out.push({ name, priority, installed: true, available: true, capabilities: result.capabilities });
      result.dispose();
    } else {
      out.push({ name, priority, installed: result.installed, available: false, reason: result.reason, install: result.install });
    }
  }
  return out;
}
