/**
 * The report as a hand-written SVG chart (no dependency): one panel per metric (GB/s for
 * RMSNorm and RoPE, GFLOP/s for attention), a group of horizontal bars per row, one bar per
 * backend/peer (and the copy limit on GB/s panels), values printed at the bar ends.
 */
import { throughput, type BenchReport, type RowReport } from './report.js';
import { SOFTWARE_ADAPTER_LABEL } from './gpu.js';
import { columnName, formatNumber } from './markdown.js';

const PALETTE: Record<string, string> = {
  copy: '#bab0ac',
  cpu: '#4e79a7',
  wasm: '#f28e2b',
  webgpu: '#59a14f',
  'ort-web': '#e15759',
  'ort-web-gqa': '#ff9d9a',
  'ort-node': '#76b7b2',
  'ort-node-gqa': '#b07aa1',
  'ort-webgpu': '#9d7660',
  'ort-webgpu-gqa': '#d4a6c8',
};
const FALLBACK = ['#edc948', '#9c755f', '#86bcb6', '#d37295', '#8cd17d'];

/** Escape text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * The decades a log axis spans: from the power of ten at or below the smallest positive
 * value to the one at or above the largest (at least one decade).
 */
export function logRange(values: readonly number[]): { min: number; max: number } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (!positive.length) return { min: 0.1, max: 1 };
  const lo = Math.floor(Math.log10(Math.min(...positive)) + 1e-9);
  let hi = Math.ceil(Math.log10(Math.max(...positive)) - 1e-9);
  if (hi <= lo) hi = lo + 1;
  return { min: 10 ** lo, max: 10 ** hi };
}

/** Options of {@link renderSvg}. */
export interface SvgOptions {
  /** Total width in px (default 960). */
  width?: number;
  /** Chart title (default `llama-ops benchmark`). */
  title?: string;
}

interface Series {
  id: string;
  label: string;
  color: string;
}

const LABEL_W = 250;
const BAR_H = 9;
const BAR_GAP = 2;
const ROW_PAD = 10;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/** Render `report` as a standalone SVG document. */
export function renderSvg(report: BenchReport, options: SvgOptions = {}): string {
  const width = options.width ?? 960;
  const plotW = width - LABEL_W - 70;
  const title = options.title ?? 'llama-ops benchmark';
  const m = report.machine;
  const gpu = report.gpu && report.gpu.description !== 'none' ? `; GPU ${report.gpu.description}${report.gpu.software ? ` (${SOFTWARE_ADAPTER_LABEL})` : ''}` : '';
  const subtitle =
    `${m.cpuModel}, ${m.cores} cores${m.note ? ` (${m.note})` : ''}, Node ${m.node}${gpu}; ` +
    `${report.options.threads} thread${report.options.threads === 1 ? '' : 's'}; medians; higher is better`;

  // Series: every contender that measured something, in report order, then the copy limit.
  let fallback = 0;
  const series: Series[] = report.contenders
    .filter((c) => report.rows.some((r) => r.results[c.id]?.status === 'ok'))
    .map((c) => ({ id: c.id, label: columnName(c), color: PALETTE[c.id] ?? FALLBACK[fallback++ % FALLBACK.length] }));
  const deviceCopy = report.rows.some((r) => r.copy?.source === 'device');
  const copySeries: Series = { id: 'copy', label: deviceCopy ? 'device copy (copyBufferToBuffer)' : 'copy limit (same bytes)', color: PALETTE.copy };

  const parts: string[] = [];
  let y = 28;
  parts.push(`<text x="12" y="${y}" font-size="18" font-weight="600">${escapeXml(title)}</text>`);
  y += 18;
  parts.push(`<text x="12" y="${y}" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`);
  y += 16;

  // Legend.
  let lx = 12;
  for (const s of [...series, copySeries]) {
    const label = s.label;
    parts.push(`<rect x="${lx}" y="${y}" width="12" height="12" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 16}" y="${y + 10}" font-size="11">${escapeXml(label)}</text>`);
    lx += 28 + label.length * 6.2;
    if (lx > width - 120) {
      lx = 12;
      y += 18;
    }
  }
  y += 36;

  const panels: Array<{ metric: RowReport['metric']; rows: RowReport[] }> = [];
  for (const metric of ['GB/s', 'GFLOP/s'] as const) {
    const rows = report.rows.filter((r) => r.metric === metric);
    if (rows.length) panels.push({ metric, rows });
  }

  for (const panel of panels) {
    const withCopy = panel.metric === 'GB/s';
    const rowSeries = (r: RowReport): Array<{ s: Series; value: number }> => {
      const bars: Array<{ s: Series; value: number }> = [];
      for (const s of series) {
        const res = r.results[s.id];
        if (res?.status === 'ok') bars.push({ s, value: throughput(r, res) });
      }
      if (withCopy && r.copy) bars.push({ s: copySeries, value: r.copy.gbps });
      return bars;
    };
    // Log scale: values span three decades (cache-resident copies vs ORT's per-call
    // overhead), and equal ratios read as equal distances.
    const { min, max } = logRange(panel.rows.flatMap((r) => rowSeries(r).map((b) => b.value)));
    const decades = Math.round(Math.log10(max / min));
    const x = (v: number) => LABEL_W + (Math.log10(Math.min(Math.max(v, min), max) / min) / decades) * plotW;
    const heights = panel.rows.map((r) => Math.max(1, rowSeries(r).length) * (BAR_H + BAR_GAP) + ROW_PAD);
    const panelH = heights.reduce((a, h) => a + h, 0);

    parts.push(`<text x="12" y="${y}" font-size="13" font-weight="600">${escapeXml(`${panel.metric} (log scale)`)}</text>`);
    y += 8;
    const top = y;
    // Grid: a line per decade, light lines at 2x and 5x.
    for (let d = 0; d <= decades; d++) {
      const v = min * 10 ** d;
      const gx = x(v).toFixed(1);
      parts.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + panelH}" stroke="#d9d9d9"/>`);
      parts.push(`<text x="${gx}" y="${top + panelH + 12}" font-size="10" fill="#666" text-anchor="middle">${formatNumber(v)}</text>`);
      if (d < decades) {
        for (const m of [2, 5]) {
          const mx = x(v * m).toFixed(1);
          parts.push(`<line x1="${mx}" y1="${top}" x2="${mx}" y2="${top + panelH}" stroke="#f0f0f0"/>`);
        }
      }
    }
    panel.rows.forEach((r, i) => {
      const bars = rowSeries(r);
      const rowTop = y;
      const mid = rowTop + (heights[i] - ROW_PAD) / 2 + 3;
      // Long GPU row titles get a smaller font so they fit left of the axis.
      const titleSize = r.title.length > 40 ? Math.max(7, Math.floor((11 * 40) / r.title.length)) : 11;
      parts.push(`<text x="${LABEL_W - 8}" y="${mid.toFixed(1)}" font-size="${titleSize}" text-anchor="end">${escapeXml(r.title)}</text>`);
      if (!bars.length) {
        parts.push(`<text x="${LABEL_W + 4}" y="${mid.toFixed(1)}" font-size="10" fill="#999">no measurement</text>`);
      }
      bars.forEach((b, j) => {
        const by = rowTop + j * (BAR_H + BAR_GAP);
        const w = Math.max(0.5, x(b.value) - LABEL_W);
        parts.push(
          `<rect x="${LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${b.s.color}"><title>${escapeXml(
            `${r.title} · ${b.s.label}: ${formatNumber(b.value)} ${r.metric}`,
          )}</title></rect>`,
        );
        parts.push(`<text x="${(LABEL_W + w + 3).toFixed(1)}" y="${by + BAR_H - 1}" font-size="9" fill="#333">${formatNumber(b.value)}</text>`);
      });
      y += heights[i];
    });
    parts.push(`<line x1="${LABEL_W}" y1="${top}" x2="${LABEL_W}" y2="${top + panelH}" stroke="#999"/>`);
    y += 36;
  }

  const height = Math.ceil(y);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
