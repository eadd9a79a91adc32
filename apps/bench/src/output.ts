/** Writing a report's three files (bench.json, bench.md, bench.svg). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatMarkdown } from './markdown.js';
import type { BenchReport } from './report.js';
import { renderSvg } from './svg.js';

/** The JSON text of a report (2-space indent, trailing newline). */
export function formatJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Write `dir/bench.json`, `dir/bench.md` and `dir/bench.svg` (the directory is created).
 * @returns the three paths.
 */
export async function writeReport(report: BenchReport, dir: string): Promise<{ json: string; markdown: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: path.join(dir, 'bench.json'), markdown: path.join(dir, 'bench.md'), svg: path.join(dir, 'bench.svg') };
  await writeFile(files.json, formatJson(report));
  await writeFile(files.markdown, formatMarkdown(report));
  await writeFile(files.svg, renderSvg(report));
  return files;
}
