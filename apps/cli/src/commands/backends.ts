/** `llama-ops backends`: every backend, installed or not, available or not and why, with capabilities. */
import { bool, parseFlags, requireNoPositionals, str } from '../args.js';
import { autoPick, backendSource, reportBackend, reportBackends, requestedBackend, type BackendReport } from '../backends.js';
import { probeVerdict, type ProbeVerdict } from '../choose.js';
import { makeContext, type Context } from '../context.js';
import { renderHelp } from '../help.js';

export const BACKENDS_HELP = renderHelp({
  usage: 'llama-ops backends [options]',
  summary: 'List every backend: whether it is installed and available here (and why not), and its capabilities.',
  details: [
    "'auto' picks the first available backend in this order (highest priority first) that passes\n" +
      "the conformance kit's quick probe on this device. The verdict column shows the probe's result\n" +
      'and time: cached per device and backend version, or measured now (`llama-ops verify` refreshes it).\n' +
      'With --backend NAME, only that backend is shown: a built-in, or a third-party\n' +
      '@llama-ops/backend-NAME installed next to the CLI.',
  ],
  groups: [],
  examples: ['llama-ops backends', 'llama-ops backends --json', 'llama-ops backends --backend webgpu'],
});

export async function backendsCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('backends', argv, {});
  if (bool(values, 'help')) {
    process.stdout.write(BACKENDS_HELP);
    return 0;
  }
  requireNoPositionals('backends', positionals);
  const ctx = makeContext(values);
  const flag = str(values, 'backend');
  const only = flag !== undefined || process.env.LLAMA_OPS_BACKEND ? requestedBackend(flag) : 'auto';
  const reports = only === 'auto' ? await reportBackends() : [await reportBackend(only, backendSource(flag))];
  // The verdict of the conformance kit's quick probe: cached per device and version, or measured now.
  for (const r of reports) if (r.available) r.verdict = await probeVerdict(r.name);
  const auto = autoPick(reports);
  if (ctx.json) {
    ctx.emitJson({ auto: only === 'auto' ? auto : undefined, backends: reports });
  } else {
    printBackends(ctx, reports, only === 'auto' ? auto : undefined);
  }
  return 0;
}

const KEY_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
];

function formatLimit(name: string, v: number): string {
  if (!/Size$/.test(name)) return String(v);
  if (v >= 2 ** 20 && v % 2 ** 20 === 0) return `${v / 2 ** 20} MiB`;
  if (v >= 2 ** 20) return `${(v / 2 ** 20).toFixed(0)} MiB`;
  if (v >= 1024 && v % 1024 === 0) return `${v / 1024} KiB`;
  return String(v);
}

function printBackends(ctx: Context, reports: BackendReport[], auto: string | null | undefined): void {
  const { paint } = ctx;
  for (const r of reports) {
    const status = r.available
      ? paint.green('available')
      : r.installed
        ? paint.yellow('installed, not available')
        : paint.red('not installed');
    const pick = auto === r.name ? paint.bold('  ← auto picks this') : r.software ? paint.yellow('  (software GPU: auto prefers another backend)') : '';
    ctx.say(`${paint.bold(r.name.padEnd(7))} ${status}${pick}  ${paint.dim(`priority ${r.priority}${r.package ? `, ${r.package}` : ''}`)}`);
    if (r.verdict) ctx.say(`        verdict ${formatVerdict(ctx, r.verdict)}`);
    if (!r.available) {
      ctx.say(`        ${r.reason ?? 'unavailable'}`);
      if (r.install) ctx.say(`        install with: ${paint.cyan(r.install)}`);
    }
    const c = r.capabilities;
    if (c) {
      const facts: string[] = [`dtypes ${c.dtypes.join(', ')}`];
      if (c.threads !== undefined) facts.push(`threads ${c.threads}`);
      if (c.simd !== undefined) facts.push(`simd ${c.simd ? 'yes' : 'no'}`);
      ctx.say(`        ${facts.join(' · ')}`);
      if (c.adapter) {
        const a = c.adapter;
        const desc = [a.vendor, a.architecture, a.device, a.description].filter((s) => s !== undefined && s !== '').join(' / ');
        ctx.say(`        adapter ${desc || '(no description)'}`);
      }
      if (c.features?.length) ctx.say(`        features ${c.features.join(', ')}`);
      if (c.limits && Object.keys(c.limits).length) {
        // The limits that bound these ops; --json has them all.
        const shown = KEY_LIMITS.filter((k) => c.limits![k] !== undefined).map((k) => `${k} ${formatLimit(k, c.limits![k])}`);
        const rest = Object.keys(c.limits).length - shown.length;
        ctx.say(`        limits ${shown.join(', ')}${rest > 0 ? paint.dim(` (+${rest} more in --json)`) : ''}`);
      }
      for (const n of c.notes ?? []) ctx.say(`        ${paint.dim(`note: ${n}`)}`);
    }
  }
  if (auto === null) ctx.say(paint.red('no backend is available: install one of the packages above'));
}

/** `pass (40 cases, 12 ms, cached 2026-12-04)` or `FAIL: failed case X: ... (measured now)`. */
function formatVerdict(ctx: Context, v: ProbeVerdict): string {
  const { paint } = ctx;
  const when = v.cached ? `cached from ${v.at?.slice(0, 10) ?? 'earlier'}` : 'measured now';
  const head = v.ok ? paint.green('pass') : paint.red(`FAIL: ${v.reason ?? 'unknown'}`);
  return `${head} ${paint.dim(`(quick probe: ${v.cases} cases in ${v.ms} ms, ${when})`)}`;
}
