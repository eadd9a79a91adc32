/**
 * The report as markdown: machine, GPU and run, contenders (and why any was skipped), the
 * targets with met / not met, one throughput table per op group, the ratios of every
 * backend to every peer, the reference check, and what failed or was skipped.
 */
import { SOFTWARE_ADAPTER_LABEL } from './gpu.js';
import { throughput, type BenchReport, type ContenderInfo, type RowReport, type TargetResult } from './report.js';

/** `6.3 µs`, `0.105 ms`, `12.3 ms`, `1.23 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0.1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms < 1 ? ms.toFixed(3) : ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** Three significant digits without exponent notation: `0.523`, `5.23`, `52.3`, `523`, `5234`. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toString();
  if (x === 0) return '0';
  if (Math.abs(x) < 0.001) return x.toExponential(1);
  return Number(x.toPrecision(3)).toString();
}

/** Decimal units, as GB/s is: `32.8 KB`, `67.1 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : Number(v.toPrecision(3))} ${units[u]}`;
}

/** `2.31x`. */
export function formatRatio(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '—' : `${x >= 100 ? Math.round(x) : Number(x.toPrecision(3))}x`;
}

/** `87%`. */
export function formatPercent(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '—' : `${Math.round(x * 100)}%`;
}

const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A markdown table; the first `textColumns` columns are left-aligned, the rest (numbers) right-aligned. */
function table(head: string[], body: string[][], textColumns = 1): string {
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i < textColumns ? '---' : '---:')).join(' | ')} |`];
  for (const r of body) lines.push(`| ${r.map(escapeCell).join(' | ')} |`);
  return lines.join('\n');
}

function cell(row: RowReport, id: string): string {
  const r = row.results[id];
  if (!r) return '—';
  if (r.status === 'skipped') return 'skipped';
  if (r.status === 'failed') return '✗ failed';
  // A wrong answer is flagged where its speed is shown.
  const wrong = (r.toleranceRatio !== null && !(r.toleranceRatio <= 1)) || !r.checksum.finite ? ' ⚠ wrong' : '';
  return `${formatNumber(throughput(row, r))} (${formatMs(r.stats.medianMs)})${wrong}`;
}

/** One line per contender: its worst difference from the reference, and whether it is within tolerance. */
function crossCheck(report: BenchReport): string[] {
  if (!report.reference) return [];
  const lines: string[] = [];
  for (const c of report.contenders) {
    if (c.id === report.reference || !c.available) continue;
    let worst: { diff: number; ratio: number | null; at: string } | null = null;
    let outside = 0;
    for (const r of report.rows) {
      const res = r.results[c.id];
      if (res?.status !== 'ok' || res.maxAbsDiff === null) continue;
      if (res.toleranceRatio !== null && !(res.toleranceRatio <= 1)) outside++;
      const key = res.toleranceRatio ?? res.maxAbsDiff;
      if (!worst || !((worst.ratio ?? worst.diff) >= key)) worst = { diff: res.maxAbsDiff, ratio: res.toleranceRatio, at: r.title };
    }
    const failed = report.rows.filter((r) => r.results[c.id]?.status === 'failed').length;
    const failedText = failed ? ` — ✗ failed on ${failed} row(s) (not timed; see below)` : '';
    if (!worst) {
      if (failedText) lines.push(`- ${c.id}:${failedText.slice(2)}`);
      continue;
    }
    const ratio = worst.ratio === null ? '' : `, ${formatNumber(worst.ratio)} of the bound`;
    const verdict = worst.ratio === null ? '' : outside ? ` — ⚠ ${outside} row(s) outside tolerance` : ' — all rows within tolerance';
    lines.push(`- ${c.id}: largest |error| ${worst.diff.toExponential(1)}${ratio} (${worst.at})${verdict}${failedText}`);
  }
  if (!lines.length) return [];
  const sampled = report.rows.some((r) => Object.values(r.results).some((x) => x.status === 'ok' && x.sampled));
  const head =
    report.reference === 'float64'
      ? 'Every contender\'s first outputs are checked against the float64 reference of `@llama-ops/conformance` before it is timed, with SPEC.md\'s tolerances ' +
        '(f32: rmsnorm 1e-5·max(1,|ref|), rope 2e-6·max(1,|x|), gqa 1e-4·max(1,max|v|); f16 storage: 2e-3, 2e-3, 5e-3); one outside them is reported as failed and not timed' +
        (sampled ? '. Rows too large for a float64 reference in JavaScript are checked on a deterministic sample (whole rows, tokens, or (batch, query, head) outputs, first and last included):' : ':')
      : `Outputs compared with ${report.reference}'s:`;
  return [head, '', ...lines];
}

function targetMeasured(t: TargetResult): string {
  if (t.measured === null) return '—';
  if (t.spec.kind === 'copyFraction') return formatPercent(t.measured);
  if (t.spec.kind === 'within') return `${formatRatio(t.measured)} ${t.spec.peer}'s time`;
  return formatRatio(t.measured);
}

/** `✅ met`, `❌ not met`, `n/a`. */
export function formatStatus(t: Pick<TargetResult, 'status'>): string {
  return t.status === 'met' ? '✅ met' : t.status === 'not met' ? '❌ not met' : 'n/a';
}

function contenderLine(c: ContenderInfo): string[] {
  if (!c.available) return [c.id, 'skipped', escapeCell(c.reason ?? 'unavailable')];
  const notes = [...c.notes];
  if (c.timing === 'gpu-timestamps') notes.unshift('GPU timestamps');
  return [c.id, c.label, notes.join('; ')];
}

/** Column header of a contender: its id, flagged when it is a software GPU. */
export function columnName(c: Pick<ContenderInfo, 'id' | 'software'>): string {
  return c.software ? `${c.id} (software GPU)` : c.id;
}

/** Contenders with a column in `rows` (measured or skipped somewhere), in report order. */
function columns(report: BenchReport, rows: readonly RowReport[]): ContenderInfo[] {
  return report.contenders.filter((c) => rows.some((r) => r.results[c.id] !== undefined));
}

/** A row's title with what its reader must know (software adapter, reduced shapes). */
function rowTitle(r: RowReport): string {
  return r.notes?.length ? `${r.title} — ${r.notes.join('; ')}` : r.title;
}

/** The whole report as markdown. */
export function formatMarkdown(report: BenchReport): string {
  const m = report.machine;
  const o = report.options;
  const out: string[] = [];
  out.push('# llama-ops benchmark', '');
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} core${m.cores === 1 ? '' : 's'}, ${m.memoryGiB} GiB, ${m.platform} ${m.arch}, Node ${m.node}.` +
      (m.note ? ` ${m.note}.` : '') +
      (m.loadAverage ? ` Load average (1 min) ${m.loadAverage.start} at the start, ${m.loadAverage.end} at the end.` : ''),
  );
  out.push(
    `Run: ${report.createdAt}, ${o.threads} thread${o.threads === 1 ? '' : 's'} for wasm and the ORT peers (cpu is single-threaded), ` +
      `${o.quick ? 'quick mode, ' : ''}${o.timeBudgetMs} ms of timed samples per row and contender after warm-up; ` +
      `medians per call. Bytes = read + written (in the row's dtype); attention FLOPs = 4 · Sq · visible keys · Hq · d. ` +
      (o.size === 'gpu'
        ? `GPU rows: GPU time from timestamp queries (summed over the compute passes of one call) where the device has them; ` +
          `device copy = \`copyBufferToBuffer\` bandwidth (read + written) measured in the same run, at its start and its end, the better kept.`
        : `Copy limit = \`TypedArray.set\` bandwidth of the same byte count, measured in the same process (the better of one copy before and one after the contenders of the row).`) +
      (o.quick && o.size === 'gpu' ? ' Quick mode: the GPU rows run at reduced shapes (each row says which full row it stands in for).' : '') +
      (o.filter ? ` Filter: \`${o.filter}\`.` : '') +
      (o.exclude ? ` Excluded: \`${o.exclude}\`.` : ''),
  );
  if (report.gpu) {
    const g = report.gpu;
    const copy = g.copy ? ` Device copy: ${formatNumber(g.copy.gbps)} GB/s (${formatBytes(g.copy.bufferBytes ?? 0)} per copy).` : '';
    out.push(
      '',
      g.unavailable && g.description === 'none'
        ? `GPU: none (${g.unavailable}).`
        : `GPU: ${g.description}${g.software ? ` (**${SOFTWARE_ADAPTER_LABEL}**)` : ''}; features ${g.features.join(', ') || 'none'}; ` +
            `maxStorageBufferBindingSize ${g.limits.maxStorageBufferBindingSize ?? '?'}, maxBufferSize ${g.limits.maxBufferSize ?? '?'}.${copy}` +
            (g.unavailable ? ` (${g.unavailable})` : ''),
    );
  }
  out.push('');

  out.push('## Contenders', '');
  out.push(table(['id', 'what', 'notes'], report.contenders.map(contenderLine), 3));
  out.push('');
  const probed = report.contenders.filter((c) => c.quickProbe);
  if (probed.length) {
    out.push('## Quick conformance probe', '');
    out.push(
      'Each backend runs the conformance kit\'s quick probe (through `chooseBackend`, uncached) before any row; one that fails it is not benchmarked. Cold time in this process, GPU pipeline compilation included.',
      '',
    );
    out.push(table(['backend', 'verdict', 'cases', 'probe time'], probed.map((c) => [c.id, c.quickProbe!.ok ? 'pass' : `FAIL: ${c.quickProbe!.reason ?? ''}`, String(c.quickProbe!.cases), formatMs(c.quickProbe!.ms)]), 2));
    out.push('');
  }

  if (report.targets.length) {
    out.push('## Targets', '');
    out.push(
      table(
        ['row', 'target', 'measured', 'status'],
        report.targets.map((t) => [t.rowTitle, t.description, targetMeasured(t), formatStatus(t) + (t.reason && t.status === 'n/a' ? ` (${t.reason})` : '')]),
        2,
      ),
    );
    const met = report.targets.filter((t) => t.status === 'met').length;
    const judged = report.targets.filter((t) => t.status !== 'n/a').length;
    out.push('', `${met} of ${judged} judged targets met (${report.targets.length - judged} n/a).`, '');
  }

  for (const group of ['RMSNorm', 'RoPE', 'Attention', 'JS in, JS out'] as const) {
    const rows = report.rows.filter((r) => r.group === group);
    if (!rows.length) continue;
    // The JS-in, JS-out group mixes streaming rows (GB/s) and a decode step (GFLOP/s).
    const metric = rows.every((r) => r.metric === rows[0].metric) ? rows[0].metric : 'GB/s or GFLOP/s';
    const cols = columns(report, rows);
    out.push(`## ${group}: ${metric} (time per call), higher is better`, '');
    const copyHead = rows.some((r) => r.copy?.source === 'device') ? 'device copy GB/s' : 'copy limit GB/s';
    const head = ['row', 'bytes', copyHead, ...cols.map(columnName)];
    out.push(
      table(
        head,
        rows.map((r) => [rowTitle(r), formatBytes(r.bytes), r.copy ? formatNumber(r.copy.gbps) : '—', ...cols.map((c) => cell(r, c.id))]),
      ),
    );
    out.push('');
  }

  // Ratio columns: each backend against each peer, in report order, where any row has both.
  const backends = report.contenders.filter((c) => c.kind === 'backend' && c.available).map((c) => c.id);
  const peers = report.contenders.filter((c) => c.kind === 'peer' && c.available).map((c) => c.id);
  const pairs = new Map<string, { subject: string; peer: string }>();
  for (const subject of backends) {
    for (const peer of peers) {
      if (report.rows.some((r) => r.ratios.some((x) => x.subject === subject && x.peer === peer))) pairs.set(`${subject}/${peer}`, { subject, peer });
    }
  }
  if (pairs.size || backends.length) {
    out.push('## Ratios', '');
    out.push('`A / B` = speedup of A over B (B\'s median time / A\'s); above 1, A is faster. `% copy` = GB/s as a share of the copy limit.', '');
    const keys = [...pairs.keys()];
    const head = ['row', ...keys.map((k) => k.replace('/', ' / ')), ...backends.map((b) => `${b} % copy`)];
    out.push(
      table(
        head,
        report.rows.map((r) => [
          r.title,
          ...keys.map((k) => formatRatio(r.ratios.find((x) => `${x.subject}/${x.peer}` === k)?.speedup ?? null)),
          ...backends.map((b) => formatPercent(r.copyFraction[b] ?? null)),
        ]),
      ),
    );
    out.push('');
  }

  out.push(...crossCheck(report), '');
  const failed = report.rows.flatMap((r) =>
    Object.entries(r.results)
      .filter(([, x]) => x.status === 'failed')
      .map(([id, x]) => `- ${r.title}, ${id}: ${(x as { reason: string }).reason}`),
  );
  if (failed.length) out.push('Failed (not timed):', '', ...failed, '');
  const skipped = report.rows.flatMap((r) =>
    Object.entries(r.results)
      .filter(([id, x]) => x.status === 'skipped' && report.contenders.find((c) => c.id === id)?.available)
      .map(([id, x]) => `- ${r.title}, ${id}: ${(x as { reason: string }).reason}`),
  );
  if (skipped.length) out.push('Skipped rows:', '', ...skipped, '');
  out.push(`Total run time: ${report.elapsedSeconds} s.`, '');
  return out.join('\n');
}
