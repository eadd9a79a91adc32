/**
 * The one tsup setup of this repository's packages: ESM only, ES2022, declarations, source
 * maps, a clean dist/. A package's tsup.config.ts passes only what is its own (entries,
 * platform, externals, loaders), e.g. `defineConfig(library({ external: ['webgpu'] }))`.
 * (templates/backend keeps a standalone copy: a generated backend lives outside the repo.)
 * Plain JS with a .d.mts beside it, so that packages type-check their tsup.config.ts
 * without taking a file outside their rootDir into their program.
 * @param {import('tsup').Options} [own] what is the package's own
 * @returns {import('tsup').Options}
 */
export function library(own = {}) {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    ...own,
  };
}
