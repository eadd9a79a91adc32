import { describe, expect, it } from 'vitest';
import { formatBytes, formatMarkdown, formatMs, formatNumber, formatPercent, formatRatio } from '../src/markdown.js';
import { escapeXml, logRange, renderSvg } from '../src/svg.js';
import { parseArgs } from '../src/args.js';
import type { Measured } from '../src/report.js';
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
    expect(md).toContain('| GQA 32/8/64 decode over 2048 | 8.4 MB | — | skipped | 33.6 (0.500 ms) | 5.59 (3.00 ms) |');
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

  it('escapes table separators inside cells', () => {
    expect(md).toContain('failed: <boom> & "quotes"'.replace(/\|/g, '\\|'));
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

  it('rejects unknown options, unknown peers and bad numbers', () => {
    expect(() => parseArgs(['--fast'])).toThrow('unknown option --fast');
    expect(() => parseArgs(['--peers', 'tfjs'])).toThrow('unknown peer tfjs');
    expect(() => parseArgs(['--threads', '0'])).toThrow('positive integer');
    expect(() => parseArgs(['--out'])).toThrow('needs a value');
  });
});
