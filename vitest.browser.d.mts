/** See vitest.browser.mjs: the shared Chromium of the browser tests. */
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: readonly string[];
export interface ChromiumLaunchOptions {
  executablePath: string;
  args: string[];
}
export declare function chromiumLaunchOptions(args?: readonly string[]): ChromiumLaunchOptions;
export declare function chromiumBrowser<P>(
  playwright: (options: { launchOptions: ChromiumLaunchOptions }) => P,
  options?: { args?: readonly string[]; name?: string },
): {
  enabled: true;
  headless: true;
  screenshotFailures: false;
  instances: [{ browser: 'chromium'; name?: string }];
  provider: P;
};
