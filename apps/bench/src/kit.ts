/**
 * The device kit's combined report. The kit (`scripts/device-kit.mjs`) runs the harness in
 * several processes: one for the GPU rows (webgpu and onnxruntime-web's WebGPU EP on one
 * device), and one per thread count for the wasm rows (wasm, onnxruntime-web's WASM EP and
 * onnxruntime-node; onnxruntime-web fixes its thread count per process). This module joins
 * their reports into one: `bench.json` (every run in full, thread scaling, the scaling
 * targets, and a summary of every contender), `bench.md` and `bench.svg`.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SOFTWARE_ADAPTER_LABEL } from './gpu.js';
import { formatMarkdown, formatMs, formatRatio, formatStatus } from './markdown.js';
import { REPORT_SCHEMA, type BenchReport, type MachineInfo } from './report.js';
import { escapeXml, renderSvg } from './svg.js';

/** Version tag of the kit report's JSON layout. */
export const KIT_SCHEMA = 'llama-ops-bench-kit/1';

/** Thread counts the kit measures the wasm rows at. */
export const KIT_THREADS = [1, 2, 4, 8, 16] as const;

/** One contender of one run, summed up: did it run, and how many rows it measured. */
export interface KitContender {
  /** `gpu` or `threads-N`. */
  run: string;
  id: string;
  label: string;
  available: boolean;
  reason?: string;
  measured: number;
  failed: number;
  skipped: number;
}

/** Median time of one contender on one row at each thread count, and the speedup over 1 thread. */
export interface ScalingRow {
  rowId: string;
  title: string;
  contender: string;
  /** Median ms by thread count (null: not measured). */
  ms: Record<string, number | null>;
  /** 1-thread time / N-thread time (null: either side missing). */
  speedup: Record<string, number | null>;
}

/** A thread-scaling target: `contender` at `threads` threads at least `min` times its 1-thread speed. */
export interface ScalingTarget {
  rowId: string;
  title: string;
  description: string;
  measured: number | null;
  status: 'met' | 'not met' | 'n/a';
  reason?: string;
}

/** A run that did not produce a report (crashed, timed out), with what the kit's log says. */
export interface MissingRun {
  run: string;
  reason: string;
}

/** The combined report of one kit run. */
export interface KitReport {
  schema: typeof KIT_SCHEMA;
  createdAt: string;
  quick: boolean;
  machine: MachineInfo | null;
  /** The GPU rows' run, or null when it produced no report. */
  gpu: BenchReport | null;
  /** The wasm rows' runs, by ascending thread count. */
  threads: Array<{ threads: number; report: BenchReport }>;
  missing: MissingRun[];
  contenders: KitContender[];
  scaling: ScalingRow[];
  targets: ScalingTarget[];
  /** Each stage of run.sh: name, exit status, seconds (from its stages file). */
  stages: Array<{ name: string; rc: number; seconds: number }>;
}

function summarizeContenders(run: string, report: BenchReport): KitContender[] {
  return report.contenders.map((c) => {
    let measured = 0;
    let failed = 0;
    let skipped = 0;
    for (const r of report.rows) {
      const res = r.results[c.id];
      if (!res) continue;
      if (res.status === 'ok') measured++;
      else if (res.status === 'failed') failed++;
      else skipped++;
    }
    return { run, id: c.id, label: c.label, available: c.available, ...(c.reason ? { reason: c.reason } : {}), measured, failed, skipped };
  });
}

/** Rows held to the scaling target: RMSNorm rows and decode rows (the issue's "RMSNorm and decode"). */
function scalingTargetApplies(rowId: string, group: string): boolean {
  return group === 'RMSNorm' || /decode/.test(rowId);
}

/**
 * Join the GPU run and the thread runs into one kit report.
 * @param stages run.sh's stage lines (`name rc seconds`), if any.
 */
export function combineKitReports(
  gpu: BenchReport | null,
  threadRuns: readonly BenchReport[],
  options: { missing?: MissingRun[]; stages?: KitReport['stages']; quick?: boolean } = {},
): KitReport {
  const threads = [...threadRuns].sort((a, b) => a.options.threads - b.options.threads).map((report) => ({ threads: report.options.threads, report }));
  const contenders = [
    ...(gpu ? summarizeContenders('gpu', gpu) : []),
    ...threads.flatMap((t) => summarizeContenders(`threads-${t.threads}`, t.report)),
  ];

  // Scaling: every (row, contender) measured in any thread run.
  const scaling: ScalingRow[] = [];
  const rowIds = [...new Set(threads.flatMap((t) => t.report.rows.map((r) => r.id)))];
  const ids = [...new Set(threads.flatMap((t) => t.report.contenders.filter((c) => c.available).map((c) => c.id)))];
  for (const rowId of rowIds) {
    for (const id of ids) {
      const ms: Record<string, number | null> = {};
      let title = rowId;
      for (const t of threads) {
        const row = t.report.rows.find((r) => r.id === rowId);
        if (row) title = row.title;
        const res = row?.results[id];
        ms[t.threads] = res?.status === 'ok' ? res.stats.medianMs : null;
      }
      if (Object.values(ms).every((v) => v === null)) continue;
      const base = ms[1] ?? null;
      const speedup: Record<string, number | null> = {};
      for (const t of threads) speedup[t.threads] = base !== null && ms[t.threads] ? base / (ms[t.threads] as number) : null;
      scaling.push({ rowId, title, contender: id, ms, speedup });
    }
  }

  // Target: wasm at 8 threads at least 6x its 1-thread speed on RMSNorm and decode rows,
  // judged only on a machine with at least 8 cores.
  const targets: ScalingTarget[] = [];
  const cores = threads[0]?.report.machine.cores ?? gpu?.machine.cores ?? 0;
  for (const s of scaling.filter((x) => x.contender === 'wasm')) {
    const row = threads.flatMap((t) => t.report.rows).find((r) => r.id === s.rowId);
    if (!row || !scalingTargetApplies(s.rowId, row.group)) continue;
    const measured = s.speedup[8] ?? null;
    const base = { rowId: s.rowId, title: s.title, description: 'wasm at 8 threads >= 6x wasm at 1 thread', measured };
    if (measured === null) targets.push({ ...base, status: 'n/a', reason: 'not measured at 1 and 8 threads' });
    else if (cores < 8) targets.push({ ...base, status: 'n/a', reason: `needs at least 8 cores; this machine has ${cores}` });
    else targets.push({ ...base, status: measured >= 6 ? 'met' : 'not met' });
  }

  const machine = gpu?.machine ?? threads[0]?.report.machine ?? null;
  return {
    schema: KIT_SCHEMA,
    createdAt: new Date().toISOString(),
    quick: options.quick ?? (gpu?.options.quick || threads.some((t) => t.report.options.quick)),
    machine,
    gpu,
    threads,
    missing: options.missing ?? [],
    contenders,
    scaling,
    targets,
    stages: options.stages ?? [],
  };
}

/** The kit report as markdown: summary, contenders, the GPU report, thread scaling. */
export function formatKitMarkdown(kit: KitReport): string {
  const out: string[] = ['# llama-ops device kit', ''];
  const m = kit.machine;
  if (m) out.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform} ${m.arch}, Node ${m.node}.`);
  const g = kit.gpu?.gpu;
  if (g) out.push(`GPU: ${g.description === 'none' ? `none (${g.unavailable ?? 'unavailable'})` : g.description}${g.software ? ` — **${SOFTWARE_ADAPTER_LABEL}**` : ''}.`);
  out.push(
    `Run: ${kit.createdAt}${kit.quick ? ', quick mode (reduced GPU shapes, tiny time budgets: proves everything runs)' : ''}. ` +
      `One process for the GPU rows (webgpu and onnxruntime-web's WebGPU EP on one device), one per thread count for the wasm rows.`,
  );
  if (kit.stages.length) {
    out.push('', '| stage | exit | seconds |', '|---|---:|---:|', ...kit.stages.map((s) => `| ${s.name} | ${s.rc} | ${s.seconds} |`));
  }
  if (kit.missing.length) {
    out.push('', '**Runs without a report:**', '', ...kit.missing.map((x) => `- ${x.run}: ${x.reason}`));
  }
  out.push('', '## Contenders', '', '| run | id | what | measured | failed | skipped |', '|---|---|---|---:|---:|---:|');
  for (const c of kit.contenders) {
    const what = c.available ? c.label : `not available: ${c.reason ?? 'unknown'}`;
    out.push(`| ${c.run} | ${c.id} | ${what.replace(/\|/g, '\\|')} | ${c.measured} | ${c.failed} | ${c.skipped} |`);
  }

  if (kit.targets.length) {
    out.push('', '## Thread-scaling targets', '', '| row | target | measured | status |', '|---|---|---:|---|');
    for (const t of kit.targets) out.push(`| ${t.title} | ${t.description} | ${formatRatio(t.measured)} | ${formatStatus(t)}${t.reason ? ` (${t.reason})` : ''} |`);
  }

  if (kit.scaling.length) {
    const counts = kit.threads.map((t) => t.threads);
    out.push('', '## wasm rows: thread scaling', '');
    out.push('Median time per call at each thread count, then the speedup over 1 thread of the same contender.', '');
    out.push(`| row | contender | ${counts.map((n) => `${n} t`).join(' | ')} | ${counts.filter((n) => n > 1).map((n) => `${n} t / 1 t`).join(' | ')} |`);
    out.push(`|---|---|${counts.map(() => '---:').join('|')}|${counts.filter((n) => n > 1).map(() => '---:').join('|')}|`);
    for (const s of kit.scaling) {
      const times = counts.map((n) => (s.ms[n] == null ? '—' : formatMs(s.ms[n] as number)));
      const ups = counts.filter((n) => n > 1).map((n) => formatRatio(s.speedup[n] ?? null));
      out.push(`| ${s.title} | ${s.contender} | ${times.join(' | ')} | ${ups.join(' | ')} |`);
    }
  }

  // The full reports, headings one level down.
  const demote = (md: string) =>
    md
      .split('\n')
      .map((line) => (line.startsWith('#') ? `#${line}` : line))
      .join('\n');
  if (kit.gpu) out.push('', '## GPU rows', '', demote(formatMarkdown(kit.gpu).replace(/^# llama-ops benchmark\n/, '')));
  for (const t of kit.threads) out.push('', `## wasm rows at ${t.threads} thread${t.threads === 1 ? '' : 's'}`, '', demote(formatMarkdown(t.report).replace(/^# llama-ops benchmark\n/, '')));
  out.push('');
  return out.join('\n');
}

/** One chart: the GPU report's chart, then a thread-scaling panel (speedup over 1 thread). */
export function renderKitSvg(kit: KitReport): string {
  const width = 960;
  const parts: string[] = [];
  let y = 0;
  if (kit.gpu) {
    const svg = renderSvg(kit.gpu, { width, title: 'llama-ops device kit: GPU rows' });
    const h = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 0);
    parts.push(svg.replace('<svg xmlns="http://www.w3.org/2000/svg"', `<svg x="0" y="${y}"`));
    y += h;
  }
  const counts = kit.threads.map((t) => t.threads).filter((n) => n > 1);
  if (kit.scaling.length && counts.length) {
    const labelW = 300;
    const plotW = width - labelW - 60;
    const maxUp = Math.max(16, ...kit.scaling.flatMap((s) => counts.map((n) => s.speedup[n] ?? 0)));
    const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
    const barH = 6;
    const lines: string[] = [];
    let py = 30;
    lines.push(`<text x="12" y="20" font-size="16" font-weight="600">wasm rows: speedup over 1 thread (linear; ${counts.map((n) => `${n} threads`).join(', ')})</text>`);
    counts.forEach((n, i) => {
      lines.push(`<rect x="${12 + i * 110}" y="${py}" width="12" height="12" fill="${colors[i % colors.length]}"/>`);
      lines.push(`<text x="${28 + i * 110}" y="${py + 10}" font-size="11">${n} threads</text>`);
    });
    py += 26;
    const top = py;
    for (const s of kit.scaling) {
      lines.push(`<text x="${labelW - 8}" y="${py + (counts.length * (barH + 1)) / 2 + 3}" font-size="9" text-anchor="end">${escapeXml(`${s.title} · ${s.contender}`)}</text>`);
      counts.forEach((n, i) => {
        const v = s.speedup[n];
        if (v == null) return;
        const w = Math.max(0.5, (v / maxUp) * plotW);
        lines.push(
          `<rect x="${labelW}" y="${py + i * (barH + 1)}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[i % colors.length]}"><title>${escapeXml(`${s.title} · ${s.contender} · ${n} threads: ${v.toFixed(2)}x`)}</title></rect>`,
        );
      });
      py += counts.length * (barH + 1) + 8;
    }
    for (const tick of [1, 2, 4, 8, 16].filter((t) => t <= maxUp)) {
      const x = labelW + (tick / maxUp) * plotW;
      lines.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${py}" stroke="#d9d9d9"/>`);
      lines.push(`<text x="${x.toFixed(1)}" y="${py + 12}" font-size="10" fill="#666" text-anchor="middle">${tick}x</text>`);
    }
    const h = py + 30;
    parts.push(`<svg x="0" y="${y}" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}">${lines.join('\n')}</svg>`);
    y += h;
  }
  if (!parts.length) {
    parts.push('<text x="12" y="24" font-size="14">no report to draw</text>');
    y = 40;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

async function readReport(file: string): Promise<BenchReport> {
  const report = JSON.parse(await readFile(file, 'utf8')) as BenchReport;
  if (report.schema !== REPORT_SCHEMA) throw new Error(`${file} is not a ${REPORT_SCHEMA} report`);
  return report;
}

/**
 * Read the runs under `runsDir` (`gpu/bench.json`, `threads-N/bench.json`, and run.sh's
 * `stages.txt` of `name rc seconds` lines), combine them, and write `bench.json`, `bench.md`
 * and `bench.svg` into `outDir`. A stage without a report is listed as missing with its exit
 * status (124: killed by its time limit).
 */
export async function combineKitDirectory(runsDir: string, outDir: string, options: { quick?: boolean } = {}): Promise<{ kit: KitReport; files: string[] }> {
  const stages: KitReport['stages'] = [];
  try {
    for (const line of (await readFile(path.join(runsDir, 'stages.txt'), 'utf8')).split('\n')) {
      const [name, rc, seconds] = line.trim().split(/\s+/);
      if (name && rc !== undefined) stages.push({ name, rc: Number(rc), seconds: Number(seconds) });
    }
  } catch {
    // No stages file: combining reports made by hand.
  }
  const missing: MissingRun[] = [];
  const load = async (run: string): Promise<BenchReport | null> => {
    try {
      return await readReport(path.join(runsDir, run, 'bench.json'));
    } catch (err) {
      const stage = stages.find((s) => s.name === run);
      const why = stage ? (stage.rc === 124 || stage.rc === 137 ? `killed at its time limit after ${stage.seconds} s` : `exited with ${stage.rc} after ${stage.seconds} s`) : 'no report';
      missing.push({ run, reason: `${why} (${(err as Error).message.split('\n')[0]}); see kit.log` });
      return null;
    }
  };
  const entries = await readdir(runsDir).catch(() => [] as string[]);
  const threadDirs = entries.filter((e) => /^threads-\d+$/.test(e)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  const expected = stages.filter((s) => s.name === 'gpu' || /^threads-\d+$/.test(s.name)).map((s) => s.name);
  const gpu = entries.includes('gpu') || expected.includes('gpu') ? await load('gpu') : null;
  const threadRuns: BenchReport[] = [];
  for (const dir of [...new Set([...threadDirs, ...expected.filter((e) => e.startsWith('threads-'))])]) {
    const r = await load(dir);
    if (r) threadRuns.push(r);
  }
  const kit = combineKitReports(gpu, threadRuns, { missing, stages, ...(options.quick !== undefined ? { quick: options.quick } : {}) });
  await mkdir(outDir, { recursive: true });
  const files = [path.join(outDir, 'bench.json'), path.join(outDir, 'bench.md'), path.join(outDir, 'bench.svg')];
  await writeFile(files[0], `${JSON.stringify(kit, null, 2)}\n`);
  await writeFile(files[1], formatKitMarkdown(kit));
  await writeFile(files[2], renderKitSvg(kit));
  return { kit, files };
}
