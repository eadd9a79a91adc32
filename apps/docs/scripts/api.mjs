#!/usr/bin/env node
// Generates the API reference (api/*.md) from the packages' TSDoc with typedoc and
// typedoc-plugin-markdown: one page per package, named after it. Run by `pnpm build`.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, Converter, ReflectionKind } from 'typedoc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, '..', '..', 'packages');
const outDir = join(root, 'api');

/** Documented packages, in sidebar order, with the one-line summary of the overview page. */
const PACKAGES = [
  ['core', 'The op API, tensors, KV cache, errors and the backend registry.'],
  ['backend-cpu', 'Plain TypeScript kernels; runs everywhere.'],
  ['backend-wasm', 'WebAssembly SIMD (+ threads) kernels, for Node and browsers.'],
  ['backend-webgpu', 'WGSL kernels on WebGPU, in browsers and in Node (Dawn).'],
  ['conformance', '`runConformance()`: the whole conformance suite as vitest tests, in one call.'],
  ['conformance-reference', 'The float64 reference of every op, for tests (and the playground).'],
  ['conformance-suite', 'The cases and `runCase()` without vitest, for CLIs and pages.'],
];

const present = PACKAGES.filter(([dir]) => !dir.includes('-reference') && !dir.includes('-suite')).filter(([dir]) => existsSync(join(packagesDir, dir, 'src', 'index.ts')));
const missing = PACKAGES.filter(([dir]) => !dir.includes('-reference') && !dir.includes('-suite') && !present.some(([d]) => d === dir));
// Every public entry point of a package (subpath exports such as `@llama-ops/conformance/reference`).
const entryPoints = present.flatMap(([dir]) => {
  const pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
  const files = new Set([join(packagesDir, dir, 'src', 'index.ts')]);
  for (const [sub] of Object.entries(pkg.exports ?? {})) {
    if (sub === '.' || sub.endsWith('.json')) continue;
    const candidate = join(packagesDir, dir, 'src', `${sub.replace(/^\.\//, '')}.ts`);
    if (existsSync(candidate)) files.add(candidate);
    else if (existsSync(join(packagesDir, dir, 'src', sub.replace(/^\.\//, ''), 'index.ts'))) {
      files.add(join(packagesDir, dir, 'src', sub.replace(/^\.\//, ''), 'index.ts'));
    }
  }
  return [...files];
});

/** `packages/core/src/index.ts` -> `@llama-ops/core`; `.../conformance/src/reference.ts` -> `@llama-ops/conformance/reference`. */
function moduleName(file) {
  const parts = relative(packagesDir, file).split(sep);
  const pkg = `@llama-ops/${parts[0]}`;
  const rest = parts.slice(2).join('/').replace(/(\/index)?\.ts$/, '');
  return rest === 'index' || rest === '' ? pkg : `${pkg}/${rest}`;
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const app = await Application.bootstrapWithPlugins({
  entryPoints,
  entryPointStrategy: 'resolve',
  tsconfig: join(root, 'typedoc.tsconfig.json'),
  plugin: ['typedoc-plugin-markdown'],
  out: outDir,
  readme: 'none',
  name: 'llama-ops',
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  skipErrorChecking: true,
  disableGit: true,
  sourceLinkTemplate: 'https://github.com/llama-ops/llama-ops/blob/main/{path}#L{line}',
  hideGenerator: true,
  validation: { notExported: false, invalidLink: false, rewrittenLink: false },
  logLevel: 'Warn',
  // typedoc-plugin-markdown
  outputFileStrategy: 'modules',
  entryFileName: 'index',
  hidePageHeader: true,
  hideBreadcrumbs: true,
  useCodeBlocks: true,
  expandObjects: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  classPropertiesFormat: 'table',
  typeDeclarationFormat: 'table',
  enumMembersFormat: 'table',
  sanitizeComments: true,
  // typedoc's links point at its own heading anchors (`#backendcapabilities-1` when a name
  // repeats, `#case_ops`), which VitePress's heading ids do not match (`#backendcapabilities`,
  // `#case-ops`): put typedoc's anchor on each heading as well, so both kinds of link land.
  useHTMLAnchors: true,
});

// Name each module after the package (and subpath) it documents.
app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
    const file = mod.sources?.[0]?.fullFileName ?? entryPoints.find((f) => f.includes(`${sep}${mod.name.split('/')[0]}${sep}`));
    if (file) mod.name = moduleName(file);
  }
  // Sources were kept only to name the modules: the pages link to no source files.
  for (const reflection of Object.values(context.project.reflections)) delete reflection.sources;
});

const project = await app.convert();
if (!project) throw new Error('typedoc could not convert the project');
await app.generateOutputs(project);

// typedoc-plugin-markdown names module pages after the module; give them short, stable file
// names (api/core.md, api/conformance-reference.md) and rewrite links accordingly.
const renames = new Map();
const generated = readdirSync(outDir, { recursive: true }).map(String).filter((f) => f.endsWith('.md') && f !== 'index.md');
for (const f of generated.map((g) => g.split(sep).join('/'))) {
  const body = readFileSync(join(outDir, f), 'utf8');
  const title = body.match(/^# (.+)$/m)?.[1] ?? f;
  const short = title.replace(/\\/g, '').replace(/^@llama-ops\//, '').replace(/\//g, '-');
  renames.set(f, `${short}.md`);
}
/** Rewrite the links of page `from` (a path under api/) to the renamed, flat pages. */
const fix = (body, from) =>
  body.replace(/\]\(([^)\s#]+\.md)(#[^)\s]*)?\)/g, (whole, target, hash = '') => {
    if (/^[a-z]+:/.test(target)) return whole;
    const resolved = posix.normalize(posix.join(posix.dirname(from.split(sep).join('/')), target));
    const renamed = renames.get(resolved);
    return renamed ? `](./${renamed.replace(/\.md$/, '')}${hash})` : whole;
  });
const pages = [];
for (const [from, to] of renames) {
  const body = fix(readFileSync(join(outDir, from), 'utf8'), from);
  rmSync(join(outDir, from));
  writeFileSync(join(outDir, to), `---\noutline: [2, 3]\n---\n\n${body}`);
  pages.push(to);
}
for (const f of readdirSync(outDir)) if (!f.endsWith('.md')) rmSync(join(outDir, f), { recursive: true, force: true });
// Any subfolders typedoc wrote are not used with the 'modules' strategy; links into them are fixed above.
const rank = (page) => PACKAGES.findIndex(([dir]) => page === `${dir}.md` || page.startsWith(`${dir}-`)) + 1 || 99;
const summary = Object.fromEntries(PACKAGES.map(([dir, s]) => [dir, s]));
const overview = `# API reference

Generated from the TSDoc comments of each package’s \`src/index.ts\` by typedoc at build time.

| package | what it holds |
|---|---|
${pages
  .sort((a, b) => rank(a) - rank(b) || a.replace(/\.md$/, '').localeCompare(b.replace(/\.md$/, '')))
  .map((p) => {
    const name = p.replace(/\.md$/, '');
    const dir = name.split('-').slice(0, name.startsWith('backend-') ? 2 : 1).join('-');
    const pkg = `@llama-ops/${name.startsWith('conformance-') ? `conformance/${name.slice('conformance-'.length)}` : name}`;
    return `| [\`${pkg}\`](./${name}) | ${summary[name] ?? summary[dir] ?? ''} |`;
  })
  .join('\n')}
${missing.length ? `\nNot documented in this build (no \`src/index.ts\` yet): ${missing.map(([d]) => `\`@llama-ops/${d}\``).join(', ')}.\n` : ''}`;
writeFileSync(join(outDir, 'index.md'), overview);
// A package that has no source yet still gets a page, so links from the guides stay valid.
for (const [dir] of missing) {
  writeFileSync(
    join(outDir, `${dir}.md`),
    `# @llama-ops/${dir}\n\n::: warning Not documented in this build\n\`packages/${dir}/src/index.ts\` did not exist when this site was built.\n:::\n`,
  );
}
console.log(`[api] ${pages.length} pages from ${entryPoints.length} entry points${missing.length ? `; missing: ${missing.map(([d]) => d).join(', ')}` : ''}`);
