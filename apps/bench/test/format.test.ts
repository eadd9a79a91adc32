import { describe, expect, it } from 'vitest';
import { formatBytes, formatMarkdown, formatMs, formatNumber, formatPercent, formatRatio } from '../src/markdown.js';
import { escapeXml, logRange, renderSvg } from '../src/svg.js';
import { parseArgs } from '../src/args.js';
import { SOFTWARE_ADAPTER_LABEL } from '../src/gpu.js';
import { evaluateTarget, measured, rowReport, type BenchReport, type Measured } from '../src/report.js';
import { GPU_QUICK_ROWS } from '../src/rows.js';
import { summarize } from '../src/stats.js';
import { fixtureReport } from './fixture.js';

describe('number formatting', () => {
  it('times pick µs, ms or s', () => {
    expect(formatMs(0.00632)).toBe('6.32 µs');
    expect(formatMs(0.105)).toBe('0.105 ms');
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatMs(NaN)).toBe('—');
  });

  it('numbers keep three significant digits without exponents', () => {
    expect(formatNumber(0.5234)).toBe('0.523');
    expect(formatNumber(52.34)).toBe('52.3');
    expect(formatNumber(5234.4)).toBe('5234');
    expect(formatNumber(0)).toBe('0');
  });

  it('bytes use decimal units, ratios an x, fractions a percent', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(49_168)).toBe('49.2 KB');
    expect(formatBytes(67_141_632)).toBe('67.1 MB');
    expect(formatRatio(2.3456)).toBe('2.35x');
    expect(formatRatio(null)).toBe('—');
    expect(formatPercent(0.754)).toBe('75%');
  });
});

describe('formatMarkdown', () => {
  const md = formatMarkdown(fixtureReport());

  it('describes the machine and the run', () => {
    expect(md).toContain('Test CPU, 2 cores, 8 GiB');
    expect(md).toContain('2 cores, no GPU');
    expect(md).toContain('1 thread for wasm and the ORT peers');
  });

  it('lists skipped contenders with their reason', () => {
    expect(md).toContain('| webgpu | skipped | no GPU adapter |');
  });

  it('shows each target with its measured value and met / not met', () => {
    expect(md).toContain('| RMSNorm [2048, 4096] | wasm >= 1.5x ort-web | 2x | ✅ met |');
    expect(md).toContain('| RMSNorm [2048, 4096] | wasm >= 75% of copy bandwidth | 75% | ✅ met |');
    expect(md).toContain('| GQA 32/8/64 decode over 2048 | wasm >= 4x ort-web | 6x | ✅ met |');
    expect(md).toMatch(/2 threads: wasm within 1\.2x of ort-node \| — \| n\/a/);
  });

  it('has a throughput table per group with GB/s (time) cells', () => {
    // 67,141,632 bytes in 2 ms = 33.6 GB/s; copy in 1.5 ms = 44.8 GB/s.
    expect(md).toContain('| RMSNorm [2048, 4096] | 67.1 MB | 44.8 | 3.36 (20.0 ms) | 33.6 (2.00 ms) | skipped | 16.8 (4.00 ms) |');
    expect(md).toContain('## Attention: GFLOP/s');
    // 4 * 2048 * 32 * 64 flops in 0.5 ms = 33.6 GFLOP/s.
    expect(md).toContain('| GQA 32/8/64 decode over 2048 | 8.4 MB | — | ✗ failed | 33.6 (0.500 ms) | 5.59 (3.00 ms) |');
  });

  it('has the ratio table and the cross-check line', () => {
    expect(md).toContain('| row | cpu / ort-web | wasm / ort-web | cpu % copy | wasm % copy |');
    expect(md).toContain('| RMSNorm [2048, 4096] | 0.2x | 2x | 8% | 75% |');
    expect(md).toContain("Outputs compared with cpu's:");
    expect(md).toContain('- wasm: largest |error| 1.0e-7 (RMSNorm [2048, 4096])');
  });

  it('flags outputs outside the float64 tolerance where their speed is shown', () => {
    const report = fixtureReport();
    report.reference = 'float64';
    const wasm = report.rows[0].results.wasm as Measured;
    wasm.toleranceRatio = 3;
    (report.rows[0].results['ort-web'] as Measured).toleranceRatio = 0.25;
    const text = formatMarkdown(report);
    expect(text).toContain('33.6 (2.00 ms) ⚠ wrong');
    expect(text).toContain('float64 reference');
    expect(text).toContain('- wasm: largest |error| 1.0e-7, 3 of the bound (RMSNorm [2048, 4096]) — ⚠ 1 row(s) outside tolerance');
    expect(text).toContain('- ort-web: largest |error| 2.0e-7, 0.25 of the bound (RMSNorm [2048, 4096]) — all rows within tolerance');
  });

  it('lists failed contenders with their reason', () => {
    expect(md).toContain('Failed (not timed):\n\n- GQA 32/8/64 decode over 2048, cpu: <boom> & "quotes"');
    expect(md).toContain('| webgpu | skipped | no GPU adapter |');
  });
});

describe('GPU rows in markdown and SVG', () => {
  const row = GPU_QUICK_ROWS.find((r) => r.id === 'gpu-rmsnorm-16x8192-f16')!;
  const contenders = [
    { id: 'webgpu', kind: 'backend' as const, label: 'webgpu (lavapipe)', available: true, timing: 'gpu-timestamps' as const, software: true, notes: [] },
    { id: 'ort-webgpu', kind: 'peer' as const, label: 'onnxruntime-web 1.30.0 (WebGPU EP)', available: true, timing: 'gpu-timestamps' as const, software: true, notes: [] },
  ];
  const copy = { stats: summarize([0.5]), gbps: 200, source: 'device' as const, bufferBytes: 64 * 2 ** 20 };
  const results = { webgpu: measured(row, summarize([0.01]), { sum: 1, absSum: 1, finite: true }), 'ort-webgpu': measured(row, summarize([0.02]), { sum: 1, absSum: 1, finite: true }) };
  const report: BenchReport = {
    ...fixtureReport(),
    options: { threads: 1, timeBudgetMs: 20, quick: true, filter: null, backends: ['webgpu'], peers: ['ort-webgpu'], size: 'gpu' },
    gpu: { description: 'mesa llvmpipe', software: true, features: ['shader-f16'], limits: { maxStorageBufferBindingSize: 134217728, maxBufferSize: 4294967295 }, copy },
    contenders,
    rows: [rowReport(row, results, contenders, copy, [SOFTWARE_ADAPTER_LABEL, `reduced from ${row.reducedFrom}`])],
    targets: [],
  };
  const md = formatMarkdown(report);

  it('label every row of a software adapter, and say which full row a quick row stands in for', () => {
    expect(md).toContain('GPU: mesa llvmpipe (**software adapter: says nothing about GPU speed**)');
    expect(md).toContain('| RMSNorm [16, 8192] f16 — software adapter: says nothing about GPU speed; reduced from RMSNorm [8192, 8192] f16 |');
    expect(md).toContain('Quick mode: the GPU rows run at reduced shapes');
  });

  it('judge GB/s against the device copy bandwidth', () => {
    expect(md).toContain('| row | bytes | device copy GB/s |');
    expect(md).toContain('Device copy: 200 GB/s (67.1 MB per copy).');
    expect(report.rows[0].copyFraction.webgpu).toBeCloseTo(row.bytes / 1e-5 / 1e9 / 200, 9);
    expect(renderSvg(report)).toContain('device copy (copyBufferToBuffer)');
  });

  it('do not judge speed targets on a software adapter, but still show the ratio', () => {
    const t = evaluateTarget(report.rows[0], { kind: 'speedup', subject: 'webgpu', peer: 'ort-webgpu', min: 1 }, 1, true);
    expect(t).toMatchObject({ status: 'n/a', reason: 'software adapter: no speed targets', measured: 2 });
  });
});

describe('renderSvg', () => {
  const svg = renderSvg(fixtureReport());

  it('is one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)!.length).toBe(1);
  });

  it('draws one bar per measurement plus the copy limit on GB/s rows', () => {
    // RMSNorm row: cpu, wasm, ort-web, copy = 4; GQA row: wasm, ort-web = 2.
    const bars = svg.match(/<rect x="250"/g) ?? [];
    expect(bars.length).toBe(6);
    expect(svg).toContain('<title>RMSNorm [2048, 4096] · wasm: 33.6 GB/s</title>');
    expect(svg).toContain('GFLOP/s (log scale)');
  });

  it('escapes text and has no unescaped ampersands', () => {
    expect(escapeXml('a<b & "c"')).toBe('a&lt;b &amp; &quot;c&quot;');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
  });

  it('the log axis spans whole decades around the values', () => {
    expect(logRange([3.36, 44.8])).toEqual({ min: 1, max: 100 });
    expect(logRange([0.12, 250])).toEqual({ min: 0.1, max: 1000 });
    expect(logRange([10])).toEqual({ min: 10, max: 100 });
    expect(logRange([0, NaN])).toEqual({ min: 0.1, max: 1 });
  });

  it('places bars on the log scale: a 10x larger value is one decade further', () => {
    // Fixture: RMSNorm cpu 3.36, wasm 33.6 GB/s on an axis from 1 to 100 (two decades).
    const width = (label: string) => Number(new RegExp(`width="([0-9.]+)"[^>]*><title>RMSNorm \\[2048, 4096\\] · ${label}:`).exec(svg)![1]);
    expect(width('wasm') - width('cpu')).toBeCloseTo((960 - 250 - 70) / 2, 0);
  });
});

describe('parseArgs', () => {
  it('reads lists, numbers and flags', () => {
    const o = parseArgs(['--backends', 'cpu,wasm', '--threads=2', '--filter', 'rmsnorm,decode', '--quick', '--json', '--out', 'x']);
    expect(o).toMatchObject({ backends: ['cpu', 'wasm'], threads: 2, filter: ['rmsnorm', 'decode'], quick: true, json: true, out: 'x' });
    expect(o.peers).toEqual(['ort-web', 'ort-node']);
    expect(parseArgs(['--no-peers']).peers).toEqual([]);
    expect(parseArgs(['--exclude', 'prefill']).exclude).toEqual(['prefill']);
  });

  it('--size gpu measures webgpu against onnxruntime-web’s WebGPU EP unless told otherwise', () => {
    expect(parseArgs(['--size', 'gpu'])).toMatchObject({ size: 'gpu', backends: ['webgpu'], peers: ['ort-webgpu'] });
    expect(parseArgs(['--size=gpu', '--backends', 'webgpu,wasm', '--peers', 'ort-webgpu,ort-web'])).toMatchObject({ backends: ['webgpu', 'wasm'], peers: ['ort-webgpu', 'ort-web'] });
    expect(parseArgs([]).size).toBe('default');
    expect(() => parseArgs(['--size', 'huge'])).toThrow("--size must be one of default, gpu, long, got 'huge'");
    expect(parseArgs(['--size', 'long', '--quick'])).toMatchObject({ size: 'long', quick: true, backends: ['wasm'], peers: [] });
    expect(parseArgs(['--combine', 'runs', '--out', 'o'])).toMatchObject({ combine: 'runs', out: 'o' });
    expect(parseArgs(['--row-timeout', '5000']).rowTimeoutMs).toBe(5000);
  });

  it('rejects unknown options, unknown peers and bad numbers', () => {
    expect(() => parseArgs(['--fast'])).toThrow('unknown option --fast');
    expect(() => parseArgs(['--peers', 'tfjs'])).toThrow('unknown peer tfjs');
    expect(() => parseArgs(['--threads', '0'])).toThrow('positive integer');
    expect(() => parseArgs(['--out'])).toThrow('needs a value');
  });
});
