// The contributor path: CONTRIBUTING.md covers what it must and points only at things that
// exist; the conformance kit documents its cases and tolerances and lists which cases a
// backend skips, and why; and the docs guide "Writing a new backend", CONTRIBUTING's "Adding
// a backend", the generator and the template tell one story (the commands each shows are the
// ones the generator prints, which new-backend.test.ts and third-party-backend.test.ts run).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coverageReport, listCases } from '@llama-ops/conformance/suite';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without type declarations
import { ROOT } from '../lib/workspace.mjs';
// @ts-expect-error plain ESM helper without type declarations
import { GUIDE_URL, createCall, generateBackend, nextSteps } from '../new-backend.mjs';

const contributing = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');
const rootScripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;

describe('CONTRIBUTING.md', () => {
  it('explains the layout, one package’s tests, benchmarks, adding a backend, and changesets', () => {
    for (const heading of ['## Layout', '## Build and test', '## Benchmarks', '## Adding a backend', '## Changesets and releases']) {
      expect(contributing).toContain(heading);
    }
    expect(contributing).toMatch(/pnpm -F @llama-ops\/backend-cpu test/);
    expect(contributing).toMatch(/llama-ops\/?\S* bench|cli\.js bench/);
    expect(contributing).toContain('apps/bench');
    expect(contributing).toContain('pnpm new-backend');
    expect(contributing).toContain('pnpm changeset');
    expect(contributing).toContain('packages/conformance/README.md');
  });

  it('points only at paths that exist', () => {
    const paths = new Set(
      [...contributing.matchAll(/`((?:packages|apps|tools|templates|scripts|\.changeset)\/[\w./-]*)`/g)]
        .map((m) => m[1]!)
        .filter((p) => !p.includes('webgl')), // the example backend of the guide
    );
    expect(paths.size).toBeGreaterThan(10);
    const missing = [...paths].filter((p) => !existsSync(join(ROOT, p.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });

  it('uses only root scripts that exist', () => {
    const used = new Set([...contributing.matchAll(/^pnpm ([a-z][\w:-]*)/gm)].map((m) => m[1]!));
    const builtins = new Set(['install', 'exec', 'run']);
    const missing = [...used].filter((s) => !builtins.has(s) && !(s in rootScripts));
    expect(missing).toEqual([]);
    expect(rootScripts['new-backend']).toBe('node tools/new-backend.mjs');
  });
});

describe('lint, as CONTRIBUTING.md describes it', () => {
  const biome = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8'));
  const LINT = 'biome lint --error-on-warnings .';
  const manifests = ['packages', 'apps'].flatMap((top) =>
    readdirSync(join(ROOT, top))
      .filter((d) => existsSync(join(ROOT, top, d, 'package.json')))
      .map((d) => ({ dir: `${top}/${d}`, scripts: JSON.parse(readFileSync(join(ROOT, top, d, 'package.json'), 'utf8')).scripts as Record<string, string> })),
  );

  it('every package lints with Biome and typechecks with tsc; the root runs both through turbo, and pnpm test (CI) runs Biome first', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9);
    for (const { dir, scripts } of manifests) {
      expect(scripts.lint, dir).toBe(LINT);
      expect(scripts.typecheck, dir).toBe('tsc --noEmit');
    }
    const tools = JSON.parse(readFileSync(join(ROOT, 'tools', 'package.json'), 'utf8')).scripts as Record<string, string>;
    expect(tools.lint).toBe(`${LINT} && node lint-packages.mjs`);
    expect(rootScripts.lint).toBe('turbo run lint lint:repo');
    expect(rootScripts['lint:repo']).toMatch(/^biome lint --error-on-warnings scripts templates /);
    expect(rootScripts.typecheck).toBe('turbo run typecheck');
    expect(rootScripts.test).toMatch(/^biome lint --error-on-warnings && /);
    const turbo = JSON.parse(readFileSync(join(ROOT, 'turbo.json'), 'utf8'));
    expect(turbo.tasks.lint.inputs).toContain('$TURBO_ROOT$/biome.json');
    expect(turbo.tasks['//#lint:repo'].inputs).toContain('biome.json');
  });

  it('biome.json: recommended rules, formatter off, every rule turned off named in CONTRIBUTING.md, and no source folder but AssemblyScript left out', () => {
    expect(biome.linter.rules.preset).toBe('recommended');
    expect(biome.formatter.enabled).toBe(false);
    const off = (rules: Record<string, unknown>) =>
      Object.values(rules).flatMap((group) => (typeof group === 'object' && group ? Object.entries(group).filter(([, v]) => v === 'off').map(([k]) => k) : []));
    const names = [...off(biome.linter.rules), ...biome.overrides.flatMap((o: { linter: { rules: Record<string, unknown> } }) => off(o.linter.rules))];
    expect(names.length).toBeGreaterThan(0);
    const lint = section(contributing, '**Lint and typecheck.**');
    for (const name of names) expect(lint, name).toContain(`\`${name}\``);
    // Everything excluded is generated output, except the AssemblyScript, which the section explains.
    const excluded = (biome.files.includes as string[]).filter((p) => p.startsWith('!'));
    expect(excluded).toContain('!!packages/backend-wasm/assembly');
    expect(lint).toContain('packages/backend-wasm/assembly/');
    expect(excluded.filter((p) => /\/(src|test)$|backend-webgpu|conformance/.test(p))).toEqual([]);
  });
});

describe('the conformance kit, as CONTRIBUTING.md describes it', () => {
  it('documents its cases and tolerances in packages/conformance/README.md', () => {
    const file = join(ROOT, 'packages', 'conformance', 'README.md');
    expect(existsSync(file), 'packages/conformance/README.md is missing').toBe(true);
    const readme = readFileSync(file, 'utf8');
    for (const bound of ['1e-5', '2e-6', '1e-4']) expect(readme, `tolerance ${bound}`).toContain(bound);
    expect(readme).toContain('runConformance');
  });

  it('lists which cases a backend skips and why (coverageReport)', () => {
    const supports = (c: { op: string }) => (c.op === 'kvcache' ? 'no KV cache on this test backend' : true);
    const report = coverageReport(['f32'], supports as never);
    expect(report.total).toBe(listCases({}).length);
    expect(report.skipped).toBeGreaterThan(0);
    const reasons = report.reasons.map((r) => r.reason);
    expect(reasons).toContain('no KV cache on this test backend');
    expect(reasons.some((r) => r.includes('f16'))).toBe(true);
    for (const e of report.entries) {
      if (e.op === 'kvcache' && e.dtype === 'f32') expect(e.skipped).toBe('no KV cache on this test backend');
      if (e.dtype === 'f16') expect(e.skipped).toMatch(/f16/);
    }
    expect(report.run + report.skipped).toBe(report.total);
  });
});

/** The commands of a `sh` code block (comments dropped, `pnpm` as the generator spells it). */
function commands(block: string): string[] {
  return block
    .split('\n')
    .map((l) => l.split('#')[0]!.trim())
    .filter(Boolean)
    .map((l) => l.replace(/^pnpm /, 'npx -y pnpm@10.34.8 '));
}
const shBlocks = (markdown: string) => [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => commands(m[1]!));
const section = (markdown: string, heading: string) => {
  const start = markdown.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n## ', start + heading.length);
  return markdown.slice(start, next < 0 ? undefined : next);
};

describe('one story for a new backend: the generator, CONTRIBUTING.md, the docs guide, the template', () => {
  const guideFile = join(ROOT, 'apps', 'docs', 'guide', 'new-backend.md');
  const guide = readFileSync(guideFile, 'utf8');
  const adding = section(contributing, '## Adding a backend');
  const stepsOnly = (steps: string[]) => steps.map((l) => l.split('#')[0]!.trim()).filter(Boolean);
  const inRepo = stepsOnly(nextSteps({ layout: 'workspace', name: 'webgl', packageName: '@llama-ops/backend-webgl', dir: join(ROOT, 'packages', 'backend-webgl') }));
  const standalone = stepsOnly(nextSteps({ layout: 'standalone', name: 'webgl', packageName: 'llama-ops-backend-webgl', dir: 'llama-ops-backend-webgl' }));

  it("CONTRIBUTING's commands are `pnpm new-backend` and the steps the generator prints in the repo", () => {
    const [first] = shBlocks(adding);
    expect(first).toEqual(['npx -y pnpm@10.34.8 new-backend webgl', ...inRepo.slice(0, 3)]);
    expect(adding).toContain('apps/docs/guide/new-backend.md');
    expect(adding).toContain('tools/test/third-party-backend.test.ts');
  });

  it('the docs guide shows the same repo commands, and for a package of your own the generator call and the npm steps it prints', () => {
    const blocks = shBlocks(guide);
    expect(blocks).toContainEqual(['npx -y pnpm@10.34.8 new-backend webgl', ...inRepo.slice(0, 3)]);
    const own = blocks.find((b) => b.some((l) => l.includes('tools/new-backend.mjs')));
    expect(own, 'a sh block running tools/new-backend.mjs').toBeDefined();
    const generate = own!.findIndex((l) => l.includes('tools/new-backend.mjs'));
    expect(own![generate]).toMatch(/^node \S*tools\/new-backend\.mjs webgl --dir llama-ops-backend-webgl$/);
    expect(own!.slice(generate + 1)).toEqual(standalone.slice(0, 4));
    expect(guide).toContain('CONTRIBUTING.md#adding-a-backend');
    // The page the generated package points to is this one.
    expect(GUIDE_URL).toBe('https://github.com/llama-ops/llama-ops/blob/main/apps/docs/guide/new-backend.md');
    expect(existsSync(guideFile)).toBe(true);
  });

  it('the guide, CONTRIBUTING and the generated READMEs create the backend through core the same way', () => {
    const work = mkdtempSync(join(tmpdir(), 'llama-ops-story-'));
    try {
      const own = generateBackend({ name: 'webgl', dir: join(work, 'own') });
      const ours = generateBackend({ name: 'webgl', dir: join(work, 'ours'), layout: 'workspace' });
      const ownCall = createCall('webgl', own.packageName);
      const oursCall = createCall('webgl', ours.packageName);
      expect(ownCall).toBe("createBackend({ package: 'llama-ops-backend-webgl' })");
      expect(oursCall).toBe("createBackend('webgl')");
      expect(readFileSync(join(own.dir, 'README.md'), 'utf8')).toContain(`await ${ownCall};`);
      expect(readFileSync(join(ours.dir, 'README.md'), 'utf8')).toContain(`await ${oursCall};`);
      expect(guide).toContain(`await ${ownCall};`);
      expect(guide).toContain(`await ${oursCall};`);
      expect(adding).toContain(`\`${oursCall}\``);
      // The "not implemented" message the guide quotes is the one a generated package throws.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the template literal's placeholder, as written in the file
      const hint = readFileSync(join(own.dir, 'src', 'not-implemented.ts'), 'utf8').match(/hint: `(.*)`/)![1]!.replace('${op}', 'rmsnorm');
      expect(guide).toContain(`rmsnorm: ${hint}`);
      // The guide's kit call is the generated test's.
      const test = readFileSync(join(own.dir, 'test', 'conformance.test.ts'), 'utf8');
      for (const line of ["import { runConformance } from '@llama-ops/conformance';", "import { createBackend } from '../src/index.js';", 'createBackend: () => createBackend(),']) {
        expect(test).toContain(line);
        expect(guide).toContain(line);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
