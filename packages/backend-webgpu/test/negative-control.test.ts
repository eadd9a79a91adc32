/**
 * Negative control for the browser project: the same Chromium, launched WITHOUT
 * --enable-unsafe-webgpu, must report no usable WebGPU here (headless Linux, no GPU), so
 * the browser suite passing means the flag really enabled WebGPU and nothing passed
 * vacuously.
 */
import { chromium } from 'playwright';
import { describe, expect, it } from 'vitest';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const common = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function adapterIn(args: string[]): Promise<string> {
  const browser = await chromium.launch({ executablePath, headless: true, args });
  try {
    const page = await browser.newPage();
    // navigator.gpu exists only in secure contexts: serve a page from http://localhost.
    await page.route('http://localhost/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>webgpu</title>' }));
    await page.goto('http://localhost/');
    return await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      if (!gpu) return 'no navigator.gpu';
      const adapter = await gpu.requestAdapter();
      return adapter ? `adapter: ${adapter.info.vendor} ${adapter.info.architecture}` : 'no adapter';
    });
  } finally {
    await browser.close();
  }
}

describe('browser negative control', () => {
  it('without --enable-unsafe-webgpu there is no adapter; with it there is', async () => {
    expect(await adapterIn(common)).toMatch(/^no /);
    expect(await adapterIn([...common, '--enable-unsafe-webgpu'])).toMatch(/^adapter: /);
  });
});
