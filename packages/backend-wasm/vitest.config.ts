import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumBrowser } from '../../vitest.browser.mjs';

/**
 * Two projects run the same tests: `node` (worker_threads) and `browser` (headless
 * Debian Chromium via Playwright, Web Workers). The browser's dev server sends COOP/COEP
 * so the page is cross-origin isolated and SharedArrayBuffer (threads) is available;
 * test/threads.test.ts checks that it really is. A third project serves a page without
 * them, to check the fallback to one thread.
 */
/**
 * Browser mode in the shared test Chromium (vitest.browser.mjs); each project's instance needs
 * a name of its own. --expose-gc: test/decode-loop.test.ts calls gc() to make the finalizer
 * deterministic.
 */
const browser = (name: string) => chromiumBrowser(playwright, { name, args: ['--js-flags=--expose-gc'] });

const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // gc() for test/decode-loop.test.ts (the finalizer safety net, deterministically).
          execArgv: ['--expose-gc'],
        },
      },
      {
        server: { headers: crossOriginIsolation },
        test: { name: 'browser', include: ['test/**/*.test.ts'], testTimeout: 60_000, browser: browser('browser (chromium)') },
      },
      {
        // No COOP/COEP: checks the one-thread fallback (test/no-isolation.browser.ts only).
        test: { name: 'browser-no-isolation', include: ['test/no-isolation.browser.ts'], testTimeout: 60_000, browser: browser('browser without COOP/COEP (chromium)') },
      },
    ],
  },
});
