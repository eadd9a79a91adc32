import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme, type UserConfig } from 'vitepress';

/** Vite's plugin type as VitePress (Vite 5) sees it; the workspace root has another Vite. */
type Plugin = Extract<NonNullable<NonNullable<UserConfig['vite']>['plugins']>[number], { name: string }>;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Sidebar of the generated API reference (scripts/api.mjs writes api/<package>.md). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const dir = join(root, 'api');
  const order = ['core', 'backend-cpu', 'backend-wasm', 'backend-webgpu', 'conformance', 'conformance-reference', 'conformance-suite'];
  const pages = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'index.md') : [];
  const items = pages
    .map((f) => f.replace(/\.md$/, ''))
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b))
    .map((name) => {
      const first = readFileSync(join(dir, `${name}.md`), 'utf8').match(/^# (.+)$/m);
      return { text: first ? first[1].replace(/\\/g, '').replace(/^@llama-ops\//, '') : name, link: `/api/${name}` };
    });
  return [{ text: 'API reference (@llama-ops/…)', items: [{ text: 'Overview', link: '/api/' }, ...items] }];
}

/**
 * The playground imports the backends and the reference dynamically. When one of them is not
 * built (e.g. while a package is being written), resolve it to a module that throws on import,
 * so the page greys that backend out with the reason instead of failing the whole build.
 */
function optionalLlamaOps(): Plugin {
  const pattern = /^@llama-ops\/(backend-(cpu|wasm|webgpu)|conformance\/reference)$/;
  return {
    name: 'llama-ops-optional-packages',
    enforce: 'pre',
    async resolveId(id, importer, options) {
      if (!pattern.test(id)) return null;
      const resolved = await this.resolve(id, importer, { ...options, skipSelf: true }).catch(() => null);
      if (resolved && !resolved.external && existsSync(resolved.id.split('?')[0])) return resolved;
      return `\0llama-ops-missing:${id}`;
    },
    load(id) {
      if (!id.startsWith('\0llama-ops-missing:')) return null;
      const name = id.slice('\0llama-ops-missing:'.length);
      this.warn(`${name} is not built; the playground will show it as unavailable`);
      return `throw new Error(${JSON.stringify(`${name} was not built when this site was built`)});`;
    },
  };
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Guide',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Choosing a backend', link: '/guide/choosing-a-backend' },
      { text: 'Why and how the backend is chosen', link: '/guide/backend-choice' },
      { text: 'KV caches and decoding', link: '/guide/kv-cache' },
      { text: 'Inside an engine: zero-copy and memory', link: '/guide/engine' },
      { text: 'Writing a new backend', link: '/guide/new-backend' },
    ],
  },
  {
    text: 'Concepts',
    items: [
      { text: 'RMSNorm', link: '/concepts/rmsnorm' },
      { text: 'RoPE', link: '/concepts/rope' },
      { text: 'Grouped-query attention', link: '/concepts/gqa' },
      { text: 'What articles get wrong', link: '/concepts/misconceptions' },
    ],
  },
  {
    text: 'Try it',
    items: [
      { text: 'Playground', link: '/playground' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
  },
];

export default defineConfig({
  title: 'llama-ops',
  description: 'RMSNorm, RoPE and grouped-query attention for JavaScript, exact and fast, on CPU, WebAssembly and WebGPU.',
  lang: 'en-GB',
  cleanUrls: true,
  lastUpdated: false,
  srcExclude: ['README.md', 'test/**', 'snippets/**', 'node_modules/**', '.generated/**'],
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }]],
  markdown: {
    math: true,
    theme: { light: 'github-light', dark: 'github-dark' },
  },
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '/guide/' },
      { text: 'Concepts', link: '/concepts/rope', activeMatch: '/concepts/' },
      { text: 'Playground', link: '/playground' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'API', link: '/api/', activeMatch: '/api/' },
    ],
    sidebar: {
      '/guide/': guide,
      '/concepts/': guide,
      '/playground': guide,
      '/benchmarks': guide,
      '/api/': apiSidebar(),
    },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    socialLinks: [{ icon: 'github', link: 'https://github.com/llama-ops/llama-ops' }],
    footer: { message: 'MIT licensed. Every plot on this site is drawn from the library’s own output at build time.' },
  },
  vite: {
    plugins: [optionalLlamaOps()],
    build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
    worker: { format: 'es' },
    optimizeDeps: { exclude: ['@llama-ops/backend-wasm', '@llama-ops/backend-webgpu'] },
    // COOP/COEP so wasm threads (SharedArrayBuffer) work under `vitepress dev`/`preview` too.
    server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
    preview: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
  },
});
