#!/usr/bin/env node
// Prebuild step of the docs: draws every figure from the library's own output and runs
// every snippet of the docs, so what the pages show is what the code computes today.
//
//  - public/plots/*.svg      figures (RoPE, RMSNorm, GQA), from @llama-ops/core + the cpu backend
//  - .generated/*.out.md     stdout of each snippets/*.mjs, included under the snippet's code
//  - public/bench/*, .generated/bench.md   apps/bench's results (or a placeholder)
//
// Run by `pnpm build` before typedoc and `vitepress build`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gqa, checkRopeScaling, ropeFrequencies, rmsnorm, rope } from '@llama-ops/core';
import { createBackend } from '@llama-ops/backend-cpu';
import {
  C,
  SERIES,
  circle,
  colorBar,
  diverging,
  fmt,
  heatmap,
  line,
  logScale,
  normals,
  polyline,
  rect,
  scale,
  sequential,
  svgDoc,
  text,
} from './svg.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const plotsDir = join(root, 'public', 'plots');
const generatedDir = join(root, '.generated');
mkdirSync(plotsDir, { recursive: true });
mkdirSync(generatedDir, { recursive: true });

const be = await createBackend();
const written = [];
function save(name, svg) {
  writeFileSync(join(plotsDir, name), svg);
  written.push(name);
}

/** Run an op on the cpu backend: upload, run, read back. */
async function run(fn, ...inputs) {
  const tensors = inputs.map(([data, shape]) => be.tensor(data, shape));
  const out = fn(...tensors);
  const values = await out.read();
  for (const t of [...tensors, out]) t.dispose();
  return values;
}

// ---------------------------------------------------------------------------
// RoPE 1: one pair (a, b) = (1, 0) rotating across positions, for four pairs.
// ---------------------------------------------------------------------------
async function ropeRotation() {
  const headDim = 64;
  const pairs = headDim / 2;
  const P = 24;
  const x = new Float32Array(P * headDim);
  for (let p = 0; p < P; p++) for (let i = 0; i < pairs; i++) x[p * headDim + i] = 1; // a = 1, b = 0
  const y = await run((t) => rope(t, { theta: 10000 }), [x, [1, P, 1, headDim]]);
  const inv = ropeFrequencies(headDim, 10000, { type: 'default' }, P - 1).invFreq;
  const shown = [0, 4, 9, 20];
  const W = 880;
  const H = 330;
  const pw = W / shown.length;
  let body = text(24, 34, 'RoPE rotates each pair (a, b) by position × θᵢ', 'class="title"');
  body += text(24, 54, `rope() output, headDim ${headDim}, base 10000. The pair starts at (1, 0); dots: positions 0–${P - 1}, darker = later.`, 'class="sub"');
  let maxNormErr = 0;
  shown.forEach((i, k) => {
    const cx = pw * k + pw / 2;
    const cy = 176;
    const R = 78;
    body += circle(cx, cy, R, `fill="${C.panel}" stroke="${C.grid}" stroke-width="1.5"`);
    body += line(cx - R - 8, cy, cx + R + 8, cy, 'class="axis"') + line(cx, cy - R - 8, cx, cy + R + 8, 'class="axis"');
    const pts = [];
    for (let p = 0; p < P; p++) {
      const a = y[p * headDim + i];
      const b = y[p * headDim + i + pairs];
      maxNormErr = Math.max(maxNormErr, Math.abs(Math.hypot(a, b) - 1));
      pts.push([cx + a * R, cy - b * R]);
    }
    // The first step as a vector with its angle, so θᵢ is visible.
    body += line(cx, cy, pts[0][0], pts[0][1], `stroke="${C.faint}" stroke-width="2"`);
    body += line(cx, cy, pts[1][0], pts[1][1], `stroke="${C.indigo}" stroke-width="2.5" stroke-linecap="round"`);
    const arcR = 26;
    const t1 = Math.min(inv[i], Math.PI * 1.95);
    if (t1 > 0.02) {
      const ex = cx + arcR * Math.cos(t1);
      const ey = cy - arcR * Math.sin(t1);
      body += `<path d="M ${cx + arcR} ${cy} A ${arcR} ${arcR} 0 ${t1 > Math.PI ? 1 : 0} 0 ${ex.toFixed(1)} ${ey.toFixed(1)}" fill="none" stroke="${C.amber}" stroke-width="2"/>`;
    }
    for (let p = P - 1; p >= 0; p--) {
      body += circle(pts[p][0], pts[p][1], p === 0 ? 5 : 4, `fill="${sequential(0.25 + (0.75 * p) / (P - 1))}" stroke="#fff" stroke-width="1"`);
    }
    body += text(pts[0][0] - 4, pts[0][1] + 18, 'p=0', 'class="tiny muted" text-anchor="end"');
    const wl = (2 * Math.PI) / inv[i];
    body += text(cx, 286, `pair i = ${i}`, 'text-anchor="middle" font-weight="600"');
    body += text(cx, 304, `θᵢ = ${fmt(inv[i], 3)} rad / position`, 'class="small muted" text-anchor="middle"');
    body += text(cx, 320, `one turn every ${fmt(wl, 3)} positions`, 'class="small muted" text-anchor="middle"');
  });
  save(
    'rope-rotation.svg',
    svgDoc(W, H, body, {
      title: 'RoPE rotation of one pair across positions',
      desc: `Four pairs of a 64-dim head rotate by position times their frequency; the norm stays 1 (max deviation ${maxNormErr.toExponential(1)}).`,
    }),
  );
  return { maxNormErr };
}

// ---------------------------------------------------------------------------
// RoPE 2: cos(p θᵢ) for every pair and position: the frequency ladder.
// ---------------------------------------------------------------------------
async function ropeLadder() {
  const headDim = 64;
  const pairs = headDim / 2;
  const P = 128;
  const x = new Float32Array(P * headDim);
  for (let p = 0; p < P; p++) for (let i = 0; i < pairs; i++) x[p * headDim + i] = 1;
  const y = await run((t) => rope(t, { theta: 10000 }), [x, [1, P, 1, headDim]]);
  const W = 880;
  const H = 340;
  const x0 = 70;
  const y0 = 70;
  const cw = (W - x0 - 40) / P;
  const ch = 6.5;
  let body = text(24, 34, 'a′ = cos(p · θᵢ) for every pair i and position p', 'class="title"');
  body += text(24, 54, 'Low pairs turn fast (short wavelengths), high pairs slowly: together they encode position at every scale.', 'class="sub"');
  body += heatmap(x0, y0, cw, ch, pairs, P, (i, p) => y[p * headDim + i], (v) => diverging(v));
  const yAt = (i) => y0 + i * ch + ch / 2;
  for (const i of [0, 8, 16, 24, 31]) body += text(x0 - 8, yAt(i) + 4, `i=${i}`, 'class="tiny muted" text-anchor="end"');
  for (const p of [0, 32, 64, 96, 127]) body += text(x0 + p * cw + cw / 2, y0 + pairs * ch + 16, String(p), 'class="tiny muted" text-anchor="middle"');
  body += text(x0 + (P * cw) / 2, y0 + pairs * ch + 32, 'position p', 'class="small muted" text-anchor="middle"');
  body += text(20, y0 + (pairs * ch) / 2, 'pair i', `class="small muted" text-anchor="middle" transform="rotate(-90 20 ${y0 + (pairs * ch) / 2})"`);
  body += colorBar(W - 200, y0 + pairs * ch + 22, 160, 9, (t) => diverging(2 * t - 1), '−1', '+1', '');
  save('rope-ladder.svg', svgDoc(W, H, body, { title: 'RoPE frequency ladder', desc: 'cos(p θ_i) for 32 pairs and 128 positions' }));
}

// ---------------------------------------------------------------------------
// RoPE 3: the score of rotated q and k depends on the distance only.
// ---------------------------------------------------------------------------
async function ropeRelative() {
  const d = 64;
  const q = normals(d, 11);
  const k = normals(d, 12);
  const D = 96;
  const offsets = [0, 1000, 100000, 1000000];
  const curves = [];
  for (const m0 of offsets) {
    // k at position m0; q at m0 + Δ for Δ = 0..D-1.
    const qs = new Float32Array(D * d);
    for (let t = 0; t < D; t++) qs.set(q, t * d);
    const qr = await run((t) => rope(t, { positions: m0 }), [qs, [1, D, 1, d]]);
    const kr = await run((t) => rope(t, { positions: m0 }), [k, [1, 1, 1, d]]);
    const scores = [];
    for (let t = 0; t < D; t++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += qr[t * d + j] * kr[j];
      scores.push(s / Math.sqrt(d));
    }
    curves.push(scores);
  }
  let maxSpread = 0;
  for (let t = 0; t < D; t++) {
    const vals = curves.map((c) => c[t]);
    maxSpread = Math.max(maxSpread, Math.max(...vals) - Math.min(...vals));
  }
  const W = 880;
  const H = 320;
  const x0 = 70;
  const x1 = W - 200;
  const yTop = 72;
  const yBot = H - 50;
  const all = curves.flat();
  const lo = Math.floor(Math.min(...all));
  const hi = Math.ceil(Math.max(...all));
  const sx = scale(0, D - 1, x0, x1);
  const sy = scale(lo, hi, yBot, yTop);
  let body = text(24, 34, 'q·k after RoPE depends only on the distance between positions', 'class="title"');
  body += text(24, 54, `The same q and k, with k placed at four very different absolute positions. Largest gap between the curves: ${fmt(maxSpread, 2)}.`, 'class="sub"');
  for (let v = lo; v <= hi; v++) body += line(x0, sy(v), x1, sy(v), 'class="grid"') + text(x0 - 8, sy(v) + 4, String(v), 'class="tiny muted" text-anchor="end"');
  for (let t = 0; t < D; t += 16) body += text(sx(t), yBot + 16, String(t), 'class="tiny muted" text-anchor="middle"');
  body += text((x0 + x1) / 2, yBot + 34, 'distance Δ = position(q) − position(k)', 'class="small muted" text-anchor="middle"');
  const widths = [9, 5, 2.5, 1.2];
  const colors = ['#c7d2fe', C.teal, C.amber, C.ink];
  const dash = ['', '', '6 4', '2 3'];
  curves.forEach((c, n) => {
    body += polyline(
      c.map((v, t) => [sx(t), sy(v)]),
      `stroke="${colors[n]}" stroke-width="${widths[n]}" stroke-linejoin="round" stroke-linecap="round"${dash[n] ? ` stroke-dasharray="${dash[n]}"` : ''}`,
    );
  });
  offsets.forEach((m0, n) => {
    const ly = yTop + 14 + n * 24;
    body += line(x1 + 24, ly, x1 + 60, ly, `stroke="${colors[n]}" stroke-width="${Math.max(2, widths[n])}"${dash[n] ? ` stroke-dasharray="${dash[n]}"` : ''}`);
    body += text(x1 + 68, ly + 4, `k at ${m0.toLocaleString('en-US')}`, 'class="small"');
  });
  body += text(x1 + 24, yTop + 14 + 4 * 24 + 6, 'score = q′·k′ / √d', 'class="tiny muted"');
  save('rope-relative.svg', svgDoc(W, H, body, { title: 'RoPE is relative', desc: 'Attention score vs distance for four absolute offsets; the curves coincide.' }));
  return { maxSpread };
}

// ---------------------------------------------------------------------------
// RoPE 4: what each scaling type does to each pair's frequency.
// ---------------------------------------------------------------------------
const SPECTRUM = {
  rotaryDim: 128,
  theta: 500000,
  origMax: 8192,
  factor: 8,
};

function longropeFactors(pairs, factor) {
  // A smooth illustrative ramp: 1 for the fastest pairs, `factor` for the slowest.
  // Real LongRoPE models ship per-pair factors found by search.
  const out = [];
  for (let i = 0; i < pairs; i++) {
    const t = i / (pairs - 1);
    out.push(1 + (factor - 1) * t * t * (3 - 2 * t));
  }
  return out;
}

function spectrumScalings() {
  const { rotaryDim, origMax, factor } = SPECTRUM;
  const pairs = rotaryDim / 2;
  return [
    { label: 'linear', note: `every pair slowed ×${factor}`, scaling: { type: 'linear', factor }, maxPos: 8 * origMax - 1 },
    {
      label: 'dynamic (NTK)',
      note: 'base grows with length (64k here)',
      scaling: { type: 'dynamic', factor, maxPositionEmbeddings: origMax },
      maxPos: 8 * origMax - 1,
    },
    {
      label: 'llama3',
      note: 'fast kept, slow ÷8, blend between',
      scaling: { type: 'llama3', factor, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: origMax },
      maxPos: 8 * origMax - 1,
    },
    {
      label: 'YaRN',
      note: 'ramp by turns per context',
      scaling: { type: 'yarn', factor, originalMaxPositionEmbeddings: origMax },
      maxPos: 8 * origMax - 1,
    },
    {
      label: 'LongRoPE',
      note: 'per-pair factors (illustrative)',
      scaling: {
        type: 'longrope',
        shortFactor: new Array(pairs).fill(1),
        longFactor: longropeFactors(pairs, factor),
        originalMaxPositionEmbeddings: origMax,
        maxPositionEmbeddings: 8 * origMax,
      },
      maxPos: 8 * origMax - 1,
    },
  ];
}

function ropeSpectrum() {
  const { rotaryDim, theta, origMax, factor } = SPECTRUM;
  const pairs = rotaryDim / 2;
  const base = ropeFrequencies(rotaryDim, theta, { type: 'default' }, 0).invFreq;
  const W = 880;
  const H = 560;
  const cols = 3;
  const pw = (W - 40) / cols;
  const ph = 230;
  let body = text(24, 34, `RoPE scaling: how each type changes each pair’s frequency`, 'class="title"');
  body += text(
    24,
    54,
    `ropeFrequencies(): ${rotaryDim} rotary dims, base ${theta.toLocaleString('en-US')}, trained on ${origMax.toLocaleString('en-US')} tokens, ×${factor}. Scaled ÷ original θᵢ.`,
    'class="sub"',
  );
  const panels = [{ label: 'default: wavelength', note: 'shaded: no full turn in 8k tokens' }, ...spectrumScalings()];
  const stats = {};
  panels.forEach((panel, n) => {
    const px = 20 + (n % cols) * pw;
    const py = 76 + Math.floor(n / cols) * (ph + 8);
    const gx0 = px + 44;
    const gx1 = px + pw - 14;
    const gy0 = py + 44;
    const gy1 = py + ph - 30;
    body += rect(px + 4, py, pw - 8, ph - 4, `rx="8" fill="${C.panel}" stroke="${C.grid}"`);
    const color = n === 0 ? C.ink : SERIES[(n - 1) % SERIES.length];
    body += text(px + 16, py + 20, panel.label, `font-weight="600" fill="${color}" style="fill:${color}"`);
    body += text(px + 16, py + 35, panel.note, 'class="tiny muted"');
    const sx = scale(0, pairs - 1, gx0, gx1);
    // Pairs whose wavelength exceeds the original context: shade them in every panel.
    const firstLong = base.findIndex((f) => (2 * Math.PI) / f > origMax);
    if (firstLong >= 0) body += rect(sx(firstLong), gy0, gx1 - sx(firstLong), gy1 - gy0, `fill="#fef3c7" opacity="0.6"`);
    if (n === 0) {
      const sy = logScale(1, 1e7, gy1, gy0);
      for (const v of [1e1, 1e3, 1e5, 1e7]) {
        body += line(gx0, sy(v), gx1, sy(v), 'class="grid"') + text(gx0 - 6, sy(v) + 4, fmt(v, 1), 'class="tiny muted" text-anchor="end"');
      }
      body += line(gx0, sy(origMax), gx1, sy(origMax), `stroke="${C.amber}" stroke-dasharray="4 3"`);
      body += text(gx0 + 4, sy(origMax) - 5, '8192 tokens', `class="tiny" style="fill:${C.amber}"`);
      body += polyline(
        [...base].map((f, i) => [sx(i), sy((2 * Math.PI) / f)]),
        `stroke="${C.ink}" stroke-width="2.2"`,
      );
    } else {
      const scaling = checkRopeScaling(panel.scaling, rotaryDim);
      const f = ropeFrequencies(rotaryDim, theta, scaling, panel.maxPos);
      const ratio = [...f.invFreq].map((v, i) => v / base[i]);
      stats[panel.label] = { attentionFactor: f.attentionFactor, minRatio: Math.min(...ratio), maxRatio: Math.max(...ratio) };
      const sy = logScale(1 / 80, 1.5, gy1, gy0);
      for (const [v, l] of [
        [1, '1'],
        [1 / 2, '½'],
        [1 / 4, '¼'],
        [1 / 8, '⅛'],
        [1 / 16, '1/16'],
        [1 / 32, '1/32'],
        [1 / 64, '1/64'],
      ]) {
        body += line(gx0, sy(v), gx1, sy(v), 'class="grid"') + text(gx0 - 6, sy(v) + 4, l, 'class="tiny muted" text-anchor="end"');
      }
      body += polyline(
        ratio.map((v, i) => [sx(i), sy(v)]),
        `stroke="${color}" stroke-width="2.6" stroke-linejoin="round"`,
      );
      if (f.attentionFactor !== 1) {
        body += text(gx0 + 6, gy1 - 8, `attention factor ${f.attentionFactor.toFixed(3)}`, `class="tiny" style="fill:${color}"`);
      }
    }
    for (const i of [0, 16, 32, 48, 63]) body += text(sx(i), gy1 + 14, String(i), 'class="tiny muted" text-anchor="middle"');
    body += text((gx0 + gx1) / 2, gy1 + 27, 'pair i (fast → slow)', 'class="tiny muted" text-anchor="middle"');
  });
  save('rope-scaling.svg', svgDoc(W, H, body, { title: 'RoPE scaling spectra', desc: 'Per-pair frequency ratio under linear, dynamic, llama3, YaRN and LongRoPE scaling.' }));
  return stats;
}

// ---------------------------------------------------------------------------
// RMSNorm vs LayerNorm on the same vector.
// ---------------------------------------------------------------------------
async function rmsnormVsLayernorm() {
  const d = 24;
  const noise = normals(d, 5);
  const x = new Float32Array(d);
  for (let i = 0; i < d; i++) x[i] = 1.6 + 1.2 * Math.sin(i * 0.55) + 0.45 * noise[i];
  const ones = new Float32Array(d).fill(1);
  const rms = await run((a, w) => rmsnorm(a, w, { eps: 1e-6 }), [x, [1, d]], [ones, [d]]);
  const shifted = x.map((v) => v + 3);
  const rmsShifted = await run((a, w) => rmsnorm(a, w, { eps: 1e-6 }), [shifted, [1, d]], [ones, [d]]);
  const layer = (v) => {
    const m = v.reduce((s, t) => s + t, 0) / v.length;
    const varc = v.reduce((s, t) => s + (t - m) ** 2, 0) / v.length;
    return v.map((t) => (t - m) / Math.sqrt(varc + 1e-6));
  };
  const ln = layer([...x]);
  const mean = (v) => [...v].reduce((s, t) => s + t, 0) / v.length;
  const rmsOf = (v) => Math.sqrt([...v].reduce((s, t) => s + t * t, 0) / v.length);
  const W = 880;
  const H = 470;
  const x0 = 200;
  const x1 = W - 76;
  const bw = (x1 - x0) / d;
  let body = text(24, 34, 'RMSNorm vs LayerNorm on the same 24 numbers', 'class="title"');
  body += text(24, 54, 'RMSNorm divides by the root mean square: the mean survives. LayerNorm subtracts it first.', 'class="sub"');
  const rows = [
    { label: 'input x', values: x, color: C.faint, stat: `mean ${mean(x).toFixed(2)}, rms ${rmsOf(x).toFixed(2)}` },
    { label: 'RMSNorm(x)', values: rms, color: C.indigo, stat: `mean ${mean(rms).toFixed(2)}, rms ${rmsOf(rms).toFixed(2)}` },
    { label: 'LayerNorm(x)', values: ln, color: C.amber, stat: `mean ${mean(ln).toFixed(2)}, std ${rmsOf(ln).toFixed(2)}` },
  ];
  const rh = 110;
  const lim = Math.ceil(2 * Math.max(...[x, rms, ln].flatMap((v) => [...v].map(Math.abs))) + 0.3) / 2;
  rows.forEach((row, n) => {
    const top = 72 + n * (rh + 10);
    const sy = scale(-lim, lim, top + rh - 6, top + 6);
    body += rect(20, top, W - 40, rh, `rx="8" fill="${C.panel}"`);
    body += text(34, top + 28, row.label, `font-weight="600" style="fill:${row.color === C.faint ? C.ink : row.color}"`);
    body += text(34, top + 46, row.stat, 'class="tiny muted"');
    body += line(x0, sy(0), x1, sy(0), `stroke="${C.faint}"`);
    for (const v of [-Math.floor(lim), Math.floor(lim)]) body += line(x0, sy(v), x1, sy(v), 'class="grid" stroke-dasharray="2 3"') + text(x0 - 6, sy(v) + 4, String(v), 'class="tiny muted" text-anchor="end"');
    body += text(x0 - 6, sy(0) + 4, '0', 'class="tiny muted" text-anchor="end"');
    for (let i = 0; i < d; i++) {
      const v = row.values[i];
      const ya = sy(Math.max(0, v));
      const yb = sy(Math.min(0, v));
      body += rect(x0 + i * bw + 3, ya, bw - 6, Math.max(1, yb - ya), `rx="2" fill="${row.color}"`);
    }
    const m = mean(row.values);
    body += line(x0, sy(m), x1, sy(m), `stroke="${C.rose}" stroke-width="1.5" stroke-dasharray="6 4"`);
    body += text(x1 + 6, sy(m) + 4, `mean`, `class="tiny" style="fill:${C.rose}"`);
  });
  const shiftChange = Math.max(...[...rms].map((v, i) => Math.abs(v - rmsShifted[i])));
  body += text(
    24,
    H - 14,
    `Add 3 to every input: LayerNorm’s output is unchanged; RMSNorm’s moves by up to ${shiftChange.toFixed(2)}.`,
    'class="small muted"',
  );
  save('rmsnorm-vs-layernorm.svg', svgDoc(W, H, body, { title: 'RMSNorm vs LayerNorm', desc: 'Bars of an input vector, its RMSNorm and its LayerNorm.' }));
  return { rmsMean: mean(rms), rmsRms: rmsOf(rms), shiftChange };
}

// ---------------------------------------------------------------------------
// GQA 1: which KV head each query head reads, measured by running gqa().
// ---------------------------------------------------------------------------
async function headMap(Hq, Hkv) {
  // One key; V of KV head g is the number g, so query head h outputs its KV head's index.
  const d = 4;
  const q = new Float32Array(Hq * d).fill(0.5);
  const k = new Float32Array(Hkv * d).fill(0.5);
  const v = Float32Array.from({ length: Hkv }, (_, g) => g);
  const out = await run((a, b, c) => gqa(a, b, c, { causal: false }), [q, [1, 1, Hq, d]], [k, [1, 1, Hkv, d]], [v, [1, 1, Hkv, 1]]);
  return [...out].map((g) => Math.round(g));
}

async function gqaHeads() {
  const Hq = 8;
  const configs = [
    { label: 'Multi-head (MHA)', Hkv: 8 },
    { label: 'Grouped-query (GQA)', Hkv: 2 },
    { label: 'Multi-query (MQA)', Hkv: 1 },
  ];
  const W = 880;
  const H = 330;
  const pw = (W - 40) / 3;
  let body = text(24, 34, 'Grouped-query attention: query heads share key/value heads', 'class="title"');
  body += text(24, 54, `Query head h reads KV head ⌊h / (Hq / Hkv)⌋: lines measured with gqa(), V of KV head g set to g.`, 'class="sub"');
  const maps = {};
  for (const [n, cfg] of configs.entries()) {
    const map = await headMap(Hq, cfg.Hkv);
    maps[cfg.Hkv] = map;
    const px = 20 + n * pw;
    body += rect(px + 6, 72, pw - 12, H - 90, `rx="10" fill="${C.panel}" stroke="${C.grid}"`);
    body += text(px + pw / 2, 96, cfg.label, 'text-anchor="middle" font-weight="600"');
    body += text(px + pw / 2, 113, `Hq = ${Hq}, Hkv = ${cfg.Hkv}`, 'class="small muted mono" text-anchor="middle"');
    const qw = 26;
    const qgap = (pw - 40 - Hq * qw) / (Hq - 1);
    const qx = (h) => px + 20 + h * (qw + qgap);
    const kvw = Math.min(58, (pw - 40 - (cfg.Hkv - 1) * 6) / cfg.Hkv);
    const kvgap = cfg.Hkv > 1 ? (pw - 40 - cfg.Hkv * kvw) / (cfg.Hkv - 1) : 0;
    const kx = (g) => (cfg.Hkv === 1 ? px + pw / 2 - kvw / 2 : px + 20 + g * (kvw + kvgap));
    const qy = 136;
    const ky = 228;
    for (let h = 0; h < Hq; h++) {
      const g = map[h];
      const color = SERIES[g % SERIES.length];
      body += line(qx(h) + qw / 2, qy + 26, kx(g) + kvw / 2, ky, `stroke="${color}" stroke-width="1.8" opacity="0.75"`);
      body += rect(qx(h), qy, qw, 26, `rx="5" fill="${color}" opacity="0.9"`);
      body += text(qx(h) + qw / 2, qy + 17, `q${h}`, 'class="tiny" text-anchor="middle" style="fill:#fff" font-weight="600"');
    }
    for (let g = 0; g < cfg.Hkv; g++) {
      const color = SERIES[g % SERIES.length];
      body += rect(kx(g), ky, kvw, 30, `rx="5" fill="#fff" stroke="${color}" stroke-width="2"`);
      body += text(kx(g) + kvw / 2, ky + 19, cfg.Hkv > 4 ? `${g}` : `k,v ${g}`, `class="tiny" text-anchor="middle" font-weight="600" style="fill:${color}"`);
    }
    body += text(px + pw / 2, 290, `KV cache per token: ${cfg.Hkv} × 2 × d values`, 'class="small muted" text-anchor="middle"');
    body += text(px + pw / 2, 306, cfg.Hkv === Hq ? '(the baseline)' : `${Hq / cfg.Hkv}× smaller than MHA`, 'class="small muted" text-anchor="middle"');
  }
  save('gqa-heads.svg', svgDoc(W, H, body, { title: 'GQA head grouping', desc: 'MHA, GQA and MQA head-to-KV-head mappings, measured with gqa().' }));
  return maps;
}

// ---------------------------------------------------------------------------
// GQA 2: attention maps (softmax weights), read out of gqa() with V = identity.
// ---------------------------------------------------------------------------
async function attentionWeights({ seqQ, seqKV, options, seed = 3, sink }) {
  const d = 16;
  const q = normals(seqQ * d, seed).map((v) => v * 1.2);
  const k = normals(seqKV * d, seed + 1).map((v) => v * 1.2);
  const v = new Float32Array(seqKV * seqKV);
  for (let j = 0; j < seqKV; j++) v[j * seqKV + j] = 1; // output row = the softmax weights
  const inputs = [
    [q, [1, seqQ, 1, d]],
    [k, [1, seqKV, 1, d]],
    [v, [1, seqKV, 1, seqKV]],
  ];
  if (sink !== undefined) inputs.push([new Float32Array([sink]), [1]]);
  return run((a, b, c, s) => gqa(a, b, c, s ? { ...options, sinks: s } : options), ...inputs);
}

function attentionPanel(px, py, size, seqQ, seqKV, w, label, note, { kvLength } = {}) {
  const cell = size / seqKV;
  let body = text(px, py - 26, label, 'font-weight="600"');
  body += text(px, py - 10, note, 'class="tiny muted mono"');
  body += heatmap(px, py, cell, cell, seqQ, seqKV, (i, j) => w[i * seqKV + j], (p) => (p === 0 ? C.masked : sequential(0.12 + 0.88 * Math.sqrt(p))), 1);
  if (kvLength !== undefined && kvLength < seqKV) {
    body += rect(px + kvLength * cell - 0.5, py - 3, (seqKV - kvLength) * cell, seqQ * cell + 6, `fill="none" stroke="${C.rose}" stroke-dasharray="3 3"`);
    body += text(px + kvLength * cell + 2, py + seqQ * cell + 16, 'unused', `class="tiny" style="fill:${C.rose}"`);
  }
  return body;
}

async function attentionMasks() {
  const S = 16;
  const panels = [
    { label: 'bidirectional', note: 'causal: false', options: { causal: false } },
    { label: 'causal', note: 'default', options: {} },
    { label: 'sliding window', note: 'window: 5', options: { window: 5 } },
    { label: 'causal + sink', note: 'sinks: [1.5]', options: {}, sink: 1.5 },
  ];
  const W = 880;
  const H = 372;
  const size = 176;
  const gap = (W - 40 - 4 * size) / 3;
  let body = text(24, 34, 'Attention weights under each mask, 16 tokens', 'class="title"');
  body += text(24, 54, 'Rows: queries; columns: keys. Read out of gqa() with V = identity. Grey: masked (exactly 0).', 'class="sub"');
  const sums = {};
  for (const [n, panel] of panels.entries()) {
    const w = await attentionWeights({ seqQ: S, seqKV: S, options: panel.options, sink: panel.sink });
    const px = 20 + n * (size + gap);
    body += attentionPanel(px, 104, size, S, S, w, panel.label, panel.note);
    const rowSums = Array.from({ length: S }, (_, i) => w.slice(i * S, (i + 1) * S).reduce((s, t) => s + t, 0));
    sums[panel.label] = rowSums;
    if (panel.sink !== undefined) {
      const meanSink = 1 - rowSums.reduce((s, t) => s + t, 0) / S;
      body += text(px, 104 + size + 18, `rows sum to < 1: the sink`, 'class="tiny muted"');
      body += text(px, 104 + size + 32, `takes ${(meanSink * 100).toFixed(0)}% on average`, 'class="tiny muted"');
    } else {
      body += text(px, 104 + size + 18, 'each row sums to 1', 'class="tiny muted"');
    }
  }
  body += colorBar(W / 2 - 110, H - 36, 220, 9, (t) => sequential(0.12 + 0.88 * Math.sqrt(t)), '0', '1', 'weight (√ scale)');
  save('attention-masks.svg', svgDoc(W, H, body, { title: 'Attention masks', desc: 'Bidirectional, causal, windowed and sink attention weights computed by gqa().' }));
  return sums;
}

async function attentionDecode() {
  const cap = 16;
  const len = 12;
  const W = 880;
  const H = 212;
  const size = 208;
  let body = text(24, 34, 'Decoding against a preallocated KV cache', 'class="title"');
  body += text(24, 54, `Capacity ${cap}, kvLength ${len}. Queries sit at the end of the valid part: queryOffset = kvLength − seqQ.`, 'class="sub"');
  const cases = [
    { label: 'one new token', seqQ: 1, note: `seqQ 1, kvLength ${len}` },
    { label: 'four speculative tokens', seqQ: 4, note: `seqQ 4, kvLength ${len}` },
    { label: '…with a window', seqQ: 4, note: `seqQ 4, kvLength ${len}, window 6`, options: { window: 6 } },
  ];
  const gap = (W - 40 - 3 * size) / 2;
  for (const [n, c] of cases.entries()) {
    const w = await attentionWeights({ seqQ: c.seqQ, seqKV: cap, options: { kvLength: len, ...(c.options ?? {}) }, seed: 9 });
    body += attentionPanel(20 + n * (size + gap), 110, size, c.seqQ, cap, w, c.label, c.note, { kvLength: len });
  }
  save('attention-decode.svg', svgDoc(W, H, body, { title: 'Attention over a KV cache', desc: 'Decode and speculative query blocks aligned to the end of the valid cache.' }));
}

// ---------------------------------------------------------------------------
// Snippets: run each one and keep its stdout for the page.
// ---------------------------------------------------------------------------
function runSnippets() {
  const dir = join(root, 'snippets');
  const outputs = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
    const started = Date.now();
    const stdout = execFileSync(process.execPath, [join(dir, file)], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const name = file.replace(/\.mjs$/, '');
    writeFileSync(join(generatedDir, `${name}.out.md`), `\`\`\`text\n${stdout.trimEnd()}\n\`\`\`\n`);
    outputs[name] = { ms: Date.now() - started };
  }
  return outputs;
}

// ---------------------------------------------------------------------------
// Benchmarks: copy apps/bench's results in, or write a placeholder.
// ---------------------------------------------------------------------------
function copyBench() {
  // LLAMA_OPS_BENCH_RESULTS points elsewhere (to try the page with other results).
  const src = process.env.LLAMA_OPS_BENCH_RESULTS ?? join(root, '..', 'bench', 'results');
  const dst = join(root, 'public', 'bench');
  rmSync(dst, { recursive: true, force: true });
  const present = {};
  for (const f of ['bench.md', 'bench.json', 'bench.svg']) present[f] = existsSync(join(src, f));
  if (present['bench.md'] || present['bench.json'] || present['bench.svg']) mkdirSync(dst, { recursive: true });
  for (const f of ['bench.json', 'bench.svg']) if (present[f]) copyFileSync(join(src, f), join(dst, f));
  let md = '';
  let table = present['bench.md'] ? readFileSync(join(src, 'bench.md'), 'utf8') : '';
  // The page has its own title: drop the file's H1, demote the other headings under
  // "Results", and point links to the chart and the JSON at their copies in public/bench/.
  table = table
    .replace(/^# .*\n+/m, '')
    .replace(/^(#{2,5}) /gm, '#$1 ')
    .replace(/\]\((\.\/)?(bench\.(svg|json))\)/g, '](/bench/$2)');
  if (present['bench.svg'] && !table.includes('/bench/bench.svg')) {
    md += '<figure class="plot bench"><img src="/bench/bench.svg" alt="Benchmark chart from apps/bench"></figure>\n\n';
  }
  md += table;
  if (present['bench.json']) md += '\nThe raw numbers: [bench.json](/bench/bench.json).\n';
  if (!md) {
    md = `::: warning No benchmark results yet
This build found no \`apps/bench/results/\`. Run the benchmarks, then rebuild the docs:

\`\`\`sh
npx -y pnpm@10.34.8 llama-ops bench --compare --markdown apps/bench/results/bench.md --svg apps/bench/results/bench.svg --out apps/bench/results/bench.json
npx -y pnpm@10.34.8 docs
\`\`\`
:::
`;
  }
  writeFileSync(join(generatedDir, 'bench.md'), md);
  return present;
}

const facts = {};
facts.ropeRotation = await ropeRotation();
await ropeLadder();
facts.ropeRelative = await ropeRelative();
facts.ropeScaling = ropeSpectrum();
facts.rmsnorm = await rmsnormVsLayernorm();
facts.gqaHeads = await gqaHeads();
facts.attention = await attentionMasks();
await attentionDecode();
be.dispose();
facts.snippets = runSnippets();
facts.bench = copyBench();
writeFileSync(join(generatedDir, 'facts.json'), JSON.stringify(facts, null, 2));
console.log(`[plots] wrote ${written.length} figures (${written.join(', ')}), ran ${Object.keys(facts.snippets).length} snippets; bench results ${
  facts.bench['bench.md'] || facts.bench['bench.svg'] ? 'copied' : 'absent (placeholder)'
}`);
