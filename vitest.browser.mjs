/**
 * The one Chromium setup of this repository's browser tests: Debian's headless Chromium
 * (`CHROMIUM_PATH` overrides /usr/bin/chromium; nothing is downloaded) with the switches
 * every launch takes, and vitest's browser mode on it. A package's vitest.config.ts passes
 * its own Playwright provider factory and only its own switches, e.g.
 * `browser: chromiumBrowser(playwright, { args: ['--enable-unsafe-webgpu'] })`.
 * Plain JS with a .d.mts beside it (as tsup.preset.mjs), so that packages type-check their
 * vitest.config.ts without taking a file outside their rootDir into their program; it
 * imports nothing, so it resolves from any package.
 */

/** The Chromium the tests launch. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Switches of every test launch: no sandbox (containers), and no network or updates of its own. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/**
 * Playwright launch options of the test Chromium, with `args` added to the common switches.
 * @param {readonly string[]} [args]
 */
export function chromiumLaunchOptions(args = []) {
  return { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...args] };
}

/**
 * vitest's `test.browser` for one project: headless Chromium through `playwright` (the
 * package's `@vitest/browser-playwright` export), no failure screenshots. `name` names the
 * project's instance (each project of a config needs its own); `args` are added switches.
 * @template P
 * @param {(options: { launchOptions: { executablePath: string; args: string[] } }) => P} playwright
 * @param {{ args?: readonly string[]; name?: string }} [options]
 */
export function chromiumBrowser(playwright, { args = [], name } = {}) {
  return {
    enabled: true,
    headless: true,
    screenshotFailures: false,
    instances: [name === undefined ? { browser: 'chromium' } : { browser: 'chromium', name }],
    provider: playwright({ launchOptions: chromiumLaunchOptions(args) }),
  };
}
