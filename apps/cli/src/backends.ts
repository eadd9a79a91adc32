/**
 * Backend discovery for the CLI. Core imports a built-in backend package by name on
 * demand (in this repo too: the workspace root installs the three backends), but an
 * installed CLI in a strict node_modules layout (pnpm) has core unable to see packages
 * that only the CLI depends on. So the CLI registers a lazy factory for each built-in,
 * importing the package from here; an import that fails means "not installed", which we
 * report with the install command instead of a stack trace. The factory also probes
 * WebGPU in a child process and passes a software GPU over for `auto`, which core's own
 * import does not do.
 */
import type { ChooseReportEntry } from '@llama-ops/conformance';
import {
  BUILTIN_BACKENDS as CORE_BUILTIN_BACKENDS,
  BackendUnavailableError,
  backendCandidates,
  listBackends,
  registerBackend,
  selectBackend,
  type Backend,
  type BackendAttempt,
  type BackendStatus,
  type BuiltinBackendName,
} from '@llama-ops/core';
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';
import { chooseConforming, type ConformingChoice, type ProbeVerdict } from './choose.js';
import { didYouMean } from './suggest.js';

/** The built-in backends, best first: core's table (names, packages, priorities). */
export const BUILTIN_BACKENDS: readonly { name: BuiltinBackendName; pkg: string; priority: number }[] = CORE_BUILTIN_BACKENDS.map((b) => ({
  name: b.name,
  pkg: b.package,
  priority: b.priority,
}));

/** The names `--backend` knows without looking: `auto` and the built-ins. */
export const BACKEND_CHOICES: readonly string[] = ['auto', ...BUILTIN_BACKENDS.map((b) => b.name)];

/** A backend name as npm package names allow (`@llama-ops/backend-<name>`). */
const BACKEND_NAME = /^[a-z0-9][a-z0-9._-]*$/;

type BackendModule = { createBackend?: (options?: Record<string, unknown>) => Promise<Backend> };

/**
 * Import a backend package from the CLI's own location (a dynamic import resolves from
 * the module that calls it, so this finds the CLI's dependencies, which core cannot).
 * The specifier is a variable on purpose: the backends are optional, so neither the
 * type checker nor the bundler may require them to exist at build time.
 */
async function importBackendPackage(pkg: string): Promise<BackendModule> {
  return (await import(/* @vite-ignore */ pkg)) as BackendModule;
}

/** Backends whose package could not be imported, with the reason. */
const notInstalled = new Map<string, string>();

/** Thrown by a lazy factory when its package cannot be imported. */
class NotInstalledError extends Error {}

/** Node's "Cannot find package 'X'": the package itself is absent (not a file inside it). */
function isMissingPackage(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    (e.message.includes(`package '${pkg}'`) || e.message.includes(`module '${pkg}'`))
  );
}

/** A file inside the package is missing: in a workspace, the package was never built. */
function isUnbuilt(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'ERR_MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`/${pkg}/`);
}

let registered = false;

/** Register the lazy built-in factories with core (idempotent). */
export function registerBuiltinBackends(): void {
  if (registered) return;
  registered = true;
  for (const { name, pkg, priority } of BUILTIN_BACKENDS) {
    registerBackend(
      name,
      async (options) => {
        let mod: BackendModule;
        try {
          mod = await importBackendPackage(pkg);
        } catch (err) {
          const first = ((err as Error)?.message ?? String(err)).split('\n')[0];
          if (isMissingPackage(err, pkg)) {
            const reason = `${pkg} is not installed`;
            notInstalled.set(name, reason);
            throw new NotInstalledError(reason);
          }
          // Installed but broken: say so, do not pretend it is missing.
          if (isUnbuilt(err, pkg)) throw new Error(`${pkg} is installed but not built (its dist/ is missing)`);
          throw new Error(`${pkg} failed to load: ${first}`);
        }
        if (typeof mod.createBackend !== 'function') throw new Error(`${pkg} does not export createBackend()`);
        if (name === 'webgpu') {
          quietGpuDriver();
          const probe = await probeInChild(pkg);
          if (probe.ok !== true) throw new Error(probe.reason);
          if (passOverSoftwareGpu && probe.software) {
            throw new Error(`only a software GPU adapter (${probe.adapter}): correct but slow; use --backend ${name} to run on it anyway`);
          }
        }
        return mod.createBackend(options);
      },
      { priority },
    );
  }
}

/**
 * Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid" when it is unset; give them a
 * private 0700 directory (changes nothing outside this process).
 */
function quietGpuDriver(): void {
  const current = process.env.XDG_RUNTIME_DIR;
  if (current) {
    try {
      if (statSync(current).isDirectory()) return;
    } catch {
      // Not a directory: replace it below.
    }
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = join(tmpdir(), `llama-ops-xdg-${uid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  } catch {
    // Cosmetic only: the driver then prints its warning.
  }
}

type AdapterInfo = NonNullable<Backend['capabilities']['adapter']>;
type ProbeResult = { ok: true; software: boolean; adapter: string } | { ok: false; reason: string };

/** Set while 'auto' chooses: the webgpu factory then refuses a software adapter. */
let passOverSoftwareGpu = false;

/**
 * Try to create the WebGPU backend in a child process first. Dawn (the native WebGPU of
 * Node) writes its driver diagnostics straight to file descriptor 2, which JavaScript
 * cannot capture: a failed adapter search on a machine without a usable Vulkan driver
 * prints lines that look like a stack trace. Probing in a child keeps that output away
 * from the user; the parent only touches Dawn once it is known to work. Returns true, or
 * the one-line reason it is unavailable.
 */
async function probeInChild(pkg: string, timeoutMs = 20_000): Promise<ProbeResult> {
  if (process.env.LLAMA_OPS_WEBGPU_PROBE === '0') return { ok: true, software: false, adapter: '' };
  let url: string;
  try {
    url = import.meta.resolve(pkg);
  } catch (err) {
    return { ok: false, reason: `${pkg} cannot be resolved: ${oneLine((err as Error).message)}` };
  }
  const script =
    `const m = await import(${JSON.stringify(url)});` +
    'let r; try { const b = await m.createBackend(); r = { ok: true, adapter: b.capabilities.adapter ?? null, software: b.capabilities.software === true }; b.dispose(); }' +
    // A BackendUnavailableError carries the bare reason in its attempt; its message adds the API name.
    ' catch (e) { r = { ok: false, reason: String((e && e.attempts && e.attempts[0] && e.attempts[0].reason) || (e && e.message) || e) }; }' +
    'process.stdout.write(JSON.stringify(r)); process.exit(0);';
  const fail = (reason: string): ProbeResult => ({ ok: false, reason });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    const timer = setTimeout(() => {
      child.kill();
      resolve(fail(`creating a WebGPU device took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(fail(`could not probe WebGPU: ${err.message}`));
    });
    child.on('close', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out) as { ok: boolean; reason?: string; adapter?: AdapterInfo | null; software?: boolean };
        if (!r.ok) return resolve(fail(oneLine(r.reason ?? 'unavailable')));
        const adapter = r.adapter ?? undefined;
        resolve({ ok: true, software: r.software === true, adapter: oneLine(adapter?.description || adapter?.device || 'software') });
      } catch {
        resolve(fail('WebGPU crashed while looking for an adapter'));
      }
    });
  });
}

/** The install command of a built-in backend. */
export function installCommand(name: string): string | undefined {
  const b = BUILTIN_BACKENDS.find((x) => x.name === name);
  if (!b) return undefined;
  // In Node the WebGPU backend also needs Dawn, the optional `webgpu` peer.
  return name === 'webgpu' ? `npm install ${b.pkg} webgpu` : `npm install ${b.pkg}`;
}

/** Fill in installed/install for attempts our lazy factories found missing. */
function fixAttempt(a: BackendAttempt): BackendAttempt {
  const missing = notInstalled.get(a.name);
  if (missing) return { name: a.name, installed: false, reason: missing, install: installCommand(a.name) };
  return { ...a, reason: oneLine(a.reason) };
}

/** First line of a message, trimmed, without a trailing period. */
export function oneLine(msg: string): string {
  return msg.split('\n')[0].trim().replace(/\.$/, '');
}

/** The backend a command runs on, with what was tried first and why it was chosen. */
export interface ChosenBackend {
  backend: Backend;
  requested: string;
  /** Backends tried before this one and why each failed. */
  attempts: BackendAttempt[];
  /** One sentence: which backend and why. */
  why: string;
  /** For `auto`: every candidate tried through the conformance kit and what happened to it. */
  report?: ChooseReportEntry[];
}

/** Thrown when the requested backend cannot be created; the message is user-facing. */
export class BackendChoiceError extends Error {
  readonly attempts: BackendAttempt[];
  constructor(message: string, attempts: BackendAttempt[]) {
    super(message);
    this.name = 'BackendChoiceError';
    this.attempts = attempts;
  }
}

/**
 * `--backend` (or LLAMA_OPS_BACKEND); default `auto`. Any backend name is accepted (a
 * third-party backend is resolved by core from its package, `@llama-ops/backend-<name>`);
 * only a name no npm package could have is refused here.
 */
export function requestedBackend(flag: string | undefined): string {
  // An empty LLAMA_OPS_BACKEND (`LLAMA_OPS_BACKEND= llama-ops ...`) means unset.
  const raw = flag ?? (process.env.LLAMA_OPS_BACKEND || 'auto');
  const name = raw.trim().toLowerCase();
  if (!BACKEND_NAME.test(name)) {
    const source = flag !== undefined ? '--backend' : 'LLAMA_OPS_BACKEND';
    throw new UsageError(`${source}: '${raw}' is not a backend name (expected ${BACKEND_CHOICES.join(', ')} or the NAME of an installed @llama-ops/backend-NAME)`);
  }
  return name;
}

/**
 * The error for a backend that is neither registered nor installed: a near-miss of a known
 * name (`wsam`) is a typo, a usage error with the suggestion; any other name is a backend
 * to install.
 */
function notInstalledError(name: string, source: string, attempt: BackendAttempt): Error {
  const near = didYouMean(name, BACKEND_CHOICES);
  if (near) return new UsageError(`${source}: no backend named '${name}' is installed${near}`);
  const install = attempt.install ?? `npm install ${thirdPartyPackage(name)}`;
  return new BackendChoiceError(`the ${name} backend is not installed — install it with: ${install}`, [{ ...attempt, install }]);
}

/** The package a backend name resolves to. */
export function thirdPartyPackage(name: string): string {
  return `@llama-ops/backend-${name}`;
}

/** Describe one failed attempt in a line, with the install command when there is one. */
export function describeAttempt(a: BackendAttempt): string {
  return `${a.name}: ${a.reason}${a.install ? ` — install with: ${a.install}` : ''}`;
}

/** Create the backend a command asked for, explaining the choice. */
export async function chooseBackend(flag: string | undefined): Promise<ChosenBackend> {
  registerBuiltinBackends();
  const requested = requestedBackend(flag);
  try {
    // A software GPU (llvmpipe, SwiftShader) computes correctly but far slower than the
    // wasm or cpu kernels and compiles shaders slowly: 'auto' passes it over (the probe
    // tells, before Dawn is touched here) when another backend works, and says so.
    // `--backend webgpu` still uses it.
    if (requested === 'auto') return await chooseAuto();
    const sel = await selectBackend(requested);
    const attempts = sel.attempts.map(fixAttempt);
    let why = `${sel.backend.name} (as requested)`;
    if (isSoftwareGpu(sel.backend)) why += ' — a software GPU adapter: correct, but slow';
    return { backend: sel.backend, requested, attempts, why };
  } catch (err) {
    if (err instanceof BackendUnavailableError) {
      const attempts = err.attempts.map(fixAttempt);
      if (requested !== 'auto' && attempts.length === 1) {
        const a = attempts[0];
        if (!a.installed && !isBuiltinName(a.name)) throw notInstalledError(a.name, backendSource(flag), a);
        const msg = a.installed
          ? `the ${a.name} backend is not available here: ${a.reason}`
          : `the ${a.name} backend is not installed${a.install ? ` — install it with: ${a.install}` : ''}`;
        throw new BackendChoiceError(msg, attempts);
      }
      throw new BackendChoiceError(`no backend is available:\n${attempts.map((a) => `  ${describeAttempt(a)}`).join('\n')}`, attempts);
    }
    throw err;
  }
}

/**
 * `auto`: the best backend that loads here and passes the conformance kit's quick probe on
 * this device (verdicts cached per device and version; see choose.ts). A software GPU
 * (llvmpipe, SwiftShader) computes correctly but far slower than the wasm or cpu kernels
 * and compiles shaders slowly: it is passed over (the child probe tells, before Dawn is
 * touched here) unless no other backend passes.
 */
async function chooseAuto(): Promise<ChosenBackend> {
  const candidates = backendCandidates();
  let chosen: ConformingChoice;
  passOverSoftwareGpu = true;
  try {
    chosen = await chooseConforming(candidates);
  } catch (err) {
    if (!(err instanceof BackendUnavailableError) || !err.attempts.some(isSoftwareAttempt)) throw err;
    passOverSoftwareGpu = false;
    chosen = await chooseConforming(candidates);
  } finally {
    passOverSoftwareGpu = false;
  }
  const passed = chosen.report.filter((r) => !r.ok);
  const attempts = passed.map((r) => fixAttempt({ name: r.name, installed: true, reason: r.reason ?? 'unavailable' }));
  const mine = chosen.report[chosen.report.length - 1];
  const proof = mine.cached ? 'passed the quick conformance probe (cached verdict)' : `passed the quick conformance probe in ${Math.round(mine.ms)} ms`;
  const over = attempts.map((a) => `${a.name} ${passOverPhrase(a)}`);
  let why = `${chosen.name} (auto: ${[...over, proof].join(', ')})`;
  if (isSoftwareGpu(chosen.backend)) why += ' — a software GPU adapter: correct, but slow';
  return { backend: chosen.backend, requested: 'auto', attempts, why, report: chosen.report };
}

/** Why auto passed over a candidate, in a few words. */
function passOverPhrase(a: BackendAttempt): string {
  if (isSoftwareAttempt(a)) return 'is a software GPU';
  if (!a.installed) return 'not installed';
  if (/^failed case /.test(a.reason)) return a.reason;
  return 'unavailable';
}

function isBuiltinName(name: string): boolean {
  return BUILTIN_BACKENDS.some((b) => b.name === name);
}

/** True for a WebGPU backend whose adapter is a CPU rasteriser (the backend's `capabilities.software`). */
export function isSoftwareGpu(backend: Backend): boolean {
  return backend.capabilities.software === true;
}

function isSoftwareAttempt(a: BackendAttempt): boolean {
  return a.reason.startsWith('only a software GPU adapter');
}

/** One row of `llama-ops backends`. */
export interface BackendReport extends BackendStatus {
  package?: string;
  /** True for a software GPU adapter, which 'auto' passes over when another backend works. */
  software?: boolean;
  /** The conformance kit's quick-probe verdict on this device (available backends only). */
  verdict?: ProbeVerdict;
}

/**
 * The backend 'auto' picks from a listing: the first available one that passed the quick
 * probe (or was not probed), software GPUs last.
 */
export function autoPick(reports: readonly BackendReport[]): string | null {
  const usable = (r: BackendReport) => r.available && r.verdict?.ok !== false;
  return (reports.find((r) => usable(r) && !r.software) ?? reports.find(usable))?.name ?? null;
}

/** Every backend, installed or not, available or not and why, with capabilities. */
export async function reportBackends(): Promise<BackendReport[]> {
  registerBuiltinBackends();
  const statuses = await listBackends();
  return statuses.map((s) => {
    const pkg = BUILTIN_BACKENDS.find((b) => b.name === s.name)?.pkg;
    if (s.available) return { ...s, ...(pkg ? { package: pkg } : {}), ...(s.capabilities?.software === true ? { software: true } : {}) };
    const fixed = fixAttempt({ name: s.name, installed: s.installed, reason: s.reason ?? 'unavailable', install: s.install });
    return {
      ...s,
      installed: fixed.installed,
      reason: fixed.reason,
      ...(fixed.install ? { install: fixed.install } : {}),
      ...(pkg ? { package: pkg } : {}),
    };
  });
}

/**
 * One backend by name, as `llama-ops backends --backend NAME` shows it: a built-in or
 * registered one from the listing, any other name (a third-party backend) by creating it.
 * A name that is not installed and looks like a typo of a known one is a usage error.
 */
export async function reportBackend(name: string, source: string): Promise<BackendReport> {
  const listed = (await reportBackends()).find((r) => r.name === name);
  if (listed) return listed;
  try {
    const sel = await selectBackend(name);
    const report: BackendReport = { name, priority: 0, installed: true, available: true, capabilities: sel.backend.capabilities, package: thirdPartyPackage(name) };
    sel.backend.dispose();
    return report;
  } catch (err) {
    if (!(err instanceof BackendUnavailableError) || err.attempts.length !== 1) throw err;
    const a = err.attempts[0];
    if (!a.installed) {
      const e = notInstalledError(name, source, a);
      if (e instanceof UsageError) throw e;
      return { name, priority: 0, installed: false, available: false, reason: oneLine(a.reason), install: (e as BackendChoiceError).attempts[0].install, package: thirdPartyPackage(name) };
    }
    return { name, priority: 0, installed: true, available: false, reason: oneLine(a.reason), package: thirdPartyPackage(name) };
  }
}

/** Where `--backend` came from, for messages. */
export function backendSource(flag: string | undefined): string {
  return flag !== undefined ? '--backend' : 'LLAMA_OPS_BACKEND';
}
