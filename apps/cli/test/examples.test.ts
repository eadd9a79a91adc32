/**
 * Every `llama-ops …` command the repository shows (READMEs, CONTRIBUTING, the docs pages,
 * every `--help` page) is a valid command line: a real command, real flags, values that
 * parse, and options that apply (to the op, to the RoPE scaling type). The examples are
 * parsed with the CLI's own parsers, without running them. Then the root script
 * `pnpm llama-ops <args>` is run as the READMEs say, from the repository root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlags, requireNoPositionals, type FlagSpecs } from '../src/args.js';
import { BACKEND_CHOICES, requestedBackend } from '../src/backends.js';
import { BACKENDS_HELP } from '../src/commands/backends.js';
import { BENCH_FLAGS, BENCH_HELP } from '../src/commands/bench.js';
import { DEMO_FLAGS, DEMO_HELP } from '../src/commands/demo.js';
import { parseRunArgs, RUN_HELP } from '../src/commands/run.js';
import { VERIFY_FLAGS, VERIFY_HELP } from '../src/commands/verify.js';
import { readNpy } from '../src/npy.js';
import { cli } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const FLAGS: Record<string, FlagSpecs> = { demo: DEMO_FLAGS, backends: {}, verify: VERIFY_FLAGS, bench: BENCH_FLAGS };

/** The markdown files a user reads: READMEs, CONTRIBUTING and the docs pages (generated API pages aside). */
function markdownFiles(): string[] {
  const files = [join(ROOT, 'README.md'), join(ROOT, 'CONTRIBUTING.md')];
  for (const group of ['packages', 'apps']) {
    for (const pkg of readdirSync(join(ROOT, group))) {
      const readme = join(ROOT, group, pkg, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  const docs = join(ROOT, 'apps', 'docs');
  for (const f of readdirSync(docs, { recursive: true }) as string[]) {
    if (f.endsWith('.md') && !/^(api|node_modules|\.vitepress)\//.test(f) && !f.includes('node_modules')) files.push(join(docs, f));
  }
  return files;
}

/** How a command line may start: `llama-ops`, `pnpm llama-ops`, `npx llama-ops`, or the built file. */
const PREFIX = /^(?:\$ )?(?:(?:npx -y pnpm@[\d.]+|pnpm|npx) )?(?:llama-ops|node apps\/cli\/dist\/cli\.js)(?= |$)/;

/** `llama-ops …` command lines in a text: code-block lines (with `\` continuations) and inline code. */
function commandLines(text: string): string[] {
  const found: string[] = [];
  const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  for (const block of blocks) {
    const lines = block.replace(/\\\n\s*/g, ' ').split('\n');
    for (const [i, line] of lines.entries()) {
      const t = line.trim().replace(/\s+#\s.*$/, '');
      // A transcript that shows the error a mistake gets is not an example to follow.
      if (PREFIX.test(t) && !lines[i + 1]?.startsWith('llama-ops: ')) found.push(t);
    }
  }
  const prose = text.replace(/```[a-z]*\n[\s\S]*?```/g, '');
  // Inline code: a command with arguments (a bare `llama-ops run` in prose names the command).
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) if (PREFIX.test(m[1]!) && /^\S+ \S+ \S/.test(m[1]!.replace(PREFIX, 'llama-ops'))) found.push(m[1]!);
  return found;
}

/** The `Examples:` lines of a help page. */
function helpExamples(help: string): string[] {
  const part = help.slice(help.indexOf('Examples:'));
  return part
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('llama-ops '));
}

/** Shell words (single/double quotes; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** A placeholder (`<op>`, `NAME`, `…`) marks a usage pattern, not a runnable example. */
function isPattern(line: string): boolean {
  return /[<>…|[\]]|\.\.\.|\bNAME\b|\bN\b|\bFILE\b|\bTEXT\b/.test(line.replace(/> \S+\.json$/, ''));
}

/** Throws (a UsageError) when the command line would be refused. */
function check(line: string): void {
  const words = shellWords(line.replace(PREFIX, 'llama-ops').replace(/\s*>\s*\S+$/, ''));
  const [, command, ...args] = words;
  if (command === undefined || ['--help', '-h', '--version', '-v', 'help'].includes(command)) return;
  if (command === 'run') {
    parseRunArgs(args);
  } else {
    const specs = FLAGS[command];
    if (!specs) throw new Error(`unknown command '${command}'`);
    const { values, positionals } = parseFlags(command, args, specs);
    requireNoPositionals(command, positionals);
    if (typeof values.backend === 'string') {
      const name = requestedBackend(values.backend);
      if (!(BACKEND_CHOICES as readonly string[]).includes(name)) throw new Error(`--backend ${name} is no backend this repository ships`);
    }
  }
}

describe('every llama-ops command line in the docs and help texts is valid', () => {
  const sources: [string, string[]][] = markdownFiles().map((f) => [relative(ROOT, f), commandLines(readFileSync(f, 'utf8'))]);
  const main = cli(['--help']).stdout;
  sources.push(
    ['llama-ops --help', helpExamples(main)],
    ['llama-ops demo --help', helpExamples(DEMO_HELP)],
    ['llama-ops backends --help', helpExamples(BACKENDS_HELP)],
    ['llama-ops run --help', helpExamples(RUN_HELP)],
    ['llama-ops verify --help', helpExamples(VERIFY_HELP)],
    ['llama-ops bench --help', helpExamples(BENCH_HELP)],
  );

  it('finds the examples (READMEs, CONTRIBUTING, every help page)', () => {
    const count = (name: string) => sources.find(([n]) => n === name)?.[1].length ?? 0;
    expect(count('README.md')).toBeGreaterThan(0);
    expect(count('apps/cli/README.md')).toBeGreaterThan(10);
    expect(count('CONTRIBUTING.md')).toBeGreaterThan(2);
    for (const help of ['llama-ops --help', 'llama-ops run --help', 'llama-ops bench --help', 'llama-ops verify --help', 'llama-ops demo --help']) {
      expect(count(help), help).toBeGreaterThan(0);
    }
  });

  it.each(sources.filter(([, lines]) => lines.length > 0))('%s', (_source, lines) => {
    const problems: string[] = [];
    for (const line of lines.filter((l) => !isPattern(l))) {
      try {
        check(line);
      } catch (err) {
        problems.push(`${line}\n    → ${(err as Error).message}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('documents repository commands as the root script (pnpm llama-ops), which works from the root', () => {
    for (const file of ['README.md', 'CONTRIBUTING.md', 'apps/bench/README.md']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
      // In a shell block of a repository document, a bare `llama-ops` would be "command not found".
      expect(blocks, file).not.toMatch(/^\s*llama-ops /m);
    }
  });
});

describe('pnpm llama-ops <args> (the root script)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'llama-ops-root-script-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  // The script builds with turbo first; the suite has built everything already.
  const run = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'llama-ops.mjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, LLAMA_OPS_SKIP_BUILD: '1', INIT_CWD: cwd, NO_COLOR: '1' },
    });

  it('is a root script that runs the CLI with the arguments given', () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    expect(scripts['llama-ops']).toBe('node scripts/llama-ops.mjs');
    expect(scripts.demo).toBe('node scripts/llama-ops.mjs demo');
    const r = run(['backends', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cpu\s+available/);
  });

  it('resolves relative paths from where the user typed the command (INIT_CWD), not the root', () => {
    const r = run(['run', 'rmsnorm', '--shape', '2,8', '--out', 'y.npy', '--repeat', '0', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    expect(readNpy(join(cwd, 'y.npy')).shape).toEqual([2, 8]);
  });

  it('passes the exit code through', () => {
    expect(run(['frobnicate']).status).toBe(2);
  });
});
