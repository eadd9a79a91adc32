// Tiny hand-made SVG helpers for the docs plots: no plotting dependency, deterministic
// output (numbers rounded, so regenerated files only change when the data does).

/** One palette for every figure; the same hues are used in the site's CSS. */
export const C = {
  ink: '#1e293b',
  muted: '#64748b',
  faint: '#94a3b8',
  grid: '#e2e8f0',
  panel: '#f8fafc',
  masked: '#eef2f7',
  bg: '#ffffff',
  indigo: '#4f46e5',
  teal: '#0d9488',
  amber: '#d97706',
  rose: '#e11d48',
  violet: '#7c3aed',
  sky: '#0284c7',
  green: '#16a34a',
};

/** Group colours (GQA head groups, scaling types), distinguishable and colour-blind friendly enough. */
export const SERIES = [C.indigo, C.teal, C.amber, C.rose, C.violet, C.sky, C.green, '#be185d'];

export const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round to a few significant digits for compact, stable SVG output. */
export const r = (v, d = 2) => {
  const x = Number(v.toFixed(d));
  return Object.is(x, -0) ? 0 : x;
};

export function fmt(v, digits = 3) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${m.replace(/\.?0+$/, '')}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(digits)));
}

/** A complete SVG document with a white rounded card, a title and an accessible description. */
export function svgDoc(width, height, body, { title, desc } = {}) {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"${
    title ? ' aria-labelledby="t d"' : ''
  } font-family="Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">
${title ? `<title id="t">${esc(title)}</title>` : ''}${desc ? `<desc id="d">${esc(desc)}</desc>` : ''}
<style>
text { fill: ${C.ink}; font-size: 15px; }
.muted { fill: ${C.muted}; }
.small { font-size: 13px; }
.tiny { font-size: 12px; }
.title { font-size: 18px; font-weight: 600; }
.sub { font-size: 14px; fill: ${C.muted}; }
.mono { font-family: 'JetBrains Mono', ui-monospace, SFMono-Regular, Menlo, monospace; }
.grid { stroke: ${C.grid}; stroke-width: 1; }
.axis { stroke: ${C.faint}; stroke-width: 1; }
</style>
<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="12" fill="${C.bg}" stroke="${C.grid}"/>
${body}
</svg>
`;
}

export function text(x, y, s, attrs = '') {
  return `<text x="${r(x, 1)}" y="${r(y, 1)}" ${attrs}>${esc(s)}</text>`;
}

export function line(x1, y1, x2, y2, attrs = '') {
  return `<line x1="${r(x1, 1)}" y1="${r(y1, 1)}" x2="${r(x2, 1)}" y2="${r(y2, 1)}" ${attrs}/>`;
}

export function polyline(points, attrs = '') {
  return `<polyline fill="none" points="${points.map(([x, y]) => `${r(x, 1)},${r(y, 1)}`).join(' ')}" ${attrs}/>`;
}

export function rect(x, y, w, h, attrs = '') {
  return `<rect x="${r(x, 1)}" y="${r(y, 1)}" width="${r(w, 1)}" height="${r(h, 1)}" ${attrs}/>`;
}

export function circle(cx, cy, rad, attrs = '') {
  return `<circle cx="${r(cx, 1)}" cy="${r(cy, 1)}" r="${r(rad, 1)}" ${attrs}/>`;
}

/** Linear map from [d0, d1] to [r0, r1]. */
export const scale = (d0, d1, r0, r1) => (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
/** Log map from [d0, d1] (positive) to [r0, r1]. */
export const logScale = (d0, d1, r0, r1) => {
  const l0 = Math.log(d0);
  const l1 = Math.log(d1);
  return (v) => r0 + ((Math.log(v) - l0) / (l1 - l0)) * (r1 - r0);
};

function lerpColor(stops, t) {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

/** Sequential map for probabilities: near-white to deep indigo. */
const SEQ = ['#f8fafc', '#c7d2fe', '#818cf8', '#4f46e5', '#312e81'].map(hex);
export const sequential = (t) => lerpColor(SEQ, t);

/** Diverging map for signed values in [-1, 1]: teal, white, indigo. */
const DIV = ['#0f766e', '#5eead4', '#f8fafc', '#a5b4fc', '#3730a3'].map(hex);
export const diverging = (t) => lerpColor(DIV, (t + 1) / 2);

/** A row-major heatmap as rects; `color(value)` returns a fill. */
export function heatmap(x, y, cellW, cellH, rows, cols, value, color, gap = 0) {
  let out = '';
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      // Without a gap, overlap by half a pixel so fractional cell sizes leave no hairlines.
      const pad = gap === 0 ? 0.5 : -gap;
      out += rect(x + j * cellW, y + i * cellH, cellW + pad, cellH + pad, `fill="${color(value(i, j), i, j)}"`);
    }
  }
  return `<g shape-rendering="crispEdges">${out}</g>`;
}

/** A horizontal colour bar with end labels. */
export function colorBar(x, y, w, h, color, lo, hi, label, steps = 48) {
  let out = '';
  for (let i = 0; i < steps; i++) out += rect(x + (i * w) / steps, y, w / steps + 0.5, h, `fill="${color(i / (steps - 1))}"`);
  return `<g shape-rendering="crispEdges">${out}</g>${rect(x, y, w, h, `fill="none" stroke="${C.grid}"`)}
${text(x, y + h + 13, lo, 'class="tiny muted"')}${text(x + w, y + h + 13, hi, 'class="tiny muted" text-anchor="end"')}${
    label ? text(x + w / 2, y - 5, label, 'class="tiny muted" text-anchor="middle"') : ''
  }`;
}

/** Seeded PRNG (mulberry32): the same plots on every build. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a seeded generator (Box-Muller). */
export function normals(n, seed) {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const a = Math.sqrt(-2 * Math.log(u() + 1e-12));
    const b = 2 * Math.PI * u();
    out[i] = a * Math.cos(b);
    if (i + 1 < n) out[i + 1] = a * Math.sin(b);
  }
  return out;
}
