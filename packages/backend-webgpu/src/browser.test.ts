import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserConformanceReport } from './browser-test/conformance-page.js';

/**
 * The backend in a real browser: the conformance cases and the backend are bundled for the browser (esbuild),
 * served from 127.0.0.1 (WebGPU needs a secure context) by a server started here, and run in headless Debian
 * Chromium on `navigator.gpu` (SwiftShader), driven by playwright-core with the system's browser (no download).
 * Without Chromium the test is skipped with a warning that says so.
 */
const chromiumPath = process.env.GRACE_CHROMIUM ?? '/usr/bin/chromium';
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/**
 * The subset run in the browser: every GRACE kernel, the tensor contract, a few ops, GRACE end to end and
 * routing truth at every magnitude and width (a few seconds on SwiftShader). `GRACE_BROWSER_SUITES=all` runs the whole suite instead (about 10 s).
 */
const everySuite = process.env.GRACE_BROWSER_SUITES === 'all';
const browserSuites = [
  'tensors',
  'gatherTokens',
  'meanTokens',
  'nearestKey',
  'lookup',
  'lookup (span)',
  'adamStep',
  'op MatMul forward',
  'op MatMul gradient',
  'op Softmax gradient',
  'op LayerNormalization gradient',
  'op SoftmaxCrossEntropyLoss gradient',
  'grace scenarios',
  'routing',
];

if (!existsSync(chromiumPath)) {
  console.warn(`\n*** @grace/backend-webgpu: NO CHROMIUM at ${chromiumPath}, the browser test is SKIPPED\n`);
  describe.skip(`WebGPU in Chromium (skipped: no browser at ${chromiumPath})`, () => {
    it('needs Chromium', () => undefined);
  });
} else {
  describe('WebGPU in headless Chromium (SwiftShader)', () => {
    let server: Server;
    let browser: Browser;
    let origin: string;

    beforeAll(async () => {
      const bundle = await build({
        entryPoints: [fileURLToPath(new URL('./browser-test/conformance-page.ts', import.meta.url))],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        write: false,
        logLevel: 'silent',
      });
      const script = bundle.outputFiles[0]?.text ?? '';
      const page =
        '<!doctype html><meta charset="utf-8"><title>GRACE WebGPU conformance</title><script type="module" src="/conformance.js"></script>';
      server = createServer((request, response) => {
        if (request.url === '/conformance.js') {
          response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
        } else if (request.url?.startsWith('/?') || request.url === '/') {
          response.writeHead(200, { 'content-type': 'text/html' }).end(page);
        } else {
          response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('passes the conformance subset on navigator.gpu', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(
        everySuite ? `${origin}/` : `${origin}/?suites=${encodeURIComponent(browserSuites.join(','))}`,
      );
      await page.waitForFunction(() => window.graceConformance?.done === true, undefined, {
        timeout: 240_000,
      });
      const report = (await page.evaluate(() => window.graceConformance)) as BrowserConformanceReport;
      const failures = report.results.filter((result) => !result.passed);
      const seconds = report.results.reduce((sum, result) => sum + result.milliseconds, 0) / 1000;
      console.info(
        `browser conformance on ${report.adapter}: ${report.results.length - failures.length}/${report.results.length} passed in ${seconds.toFixed(1)} s`,
      );
      expect(errors).toEqual([]);
      expect(report.error).toBeUndefined();
      expect(failures.map((failure) => failure.message)).toEqual([]);
      if (!everySuite) {
        expect(new Set(report.results.map((result) => result.suite))).toEqual(new Set(browserSuites));
      }
      expect(report.results.length).toBeGreaterThan(0);
    }, 300_000);
  });
}
