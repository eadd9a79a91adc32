/** Hand-written `--help` pages, laid out from each command's flag table. */
import { COMMON_FLAGS, type FlagSpec, type FlagSpecs } from './args.js';

export interface HelpPage {
  usage: string;
  summary: string;
  /** Extra paragraphs after the summary. */
  details?: string[];
  /** Flag groups, in order; COMMON_FLAGS are appended as "Common options". */
  groups: { title: string; flags: FlagSpecs }[];
  examples: string[];
}

function flagLabel(name: string, spec: FlagSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '    ';
  const long = spec.negatable ? `--[no-]${name}` : `--${name}`;
  const value = spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : '';
  return `${short}${long}${value}`;
}

function renderFlags(flags: FlagSpecs, width: number): string[] {
  return Object.entries(flags).map(([name, spec]) => {
    const label = flagLabel(name, spec).padEnd(width);
    const def = spec.defaultText !== undefined ? ` (default ${spec.defaultText})` : '';
    return `  ${label}  ${spec.help}${def}`;
  });
}

/** Render a help page as plain text. */
export function renderHelp(page: HelpPage): string {
  const groups = [...page.groups, { title: 'Common options', flags: COMMON_FLAGS }];
  const width = Math.max(...groups.flatMap((g) => Object.entries(g.flags).map(([n, s]) => flagLabel(n, s).length)));
  const lines = [`Usage: ${page.usage}`, '', page.summary];
  for (const d of page.details ?? []) lines.push('', d);
  for (const g of groups) {
    if (Object.keys(g.flags).length === 0) continue;
    lines.push('', `${g.title}:`, ...renderFlags(g.flags, width));
  }
  lines.push('', 'Examples:', ...page.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
