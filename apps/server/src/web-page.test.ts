import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningServer,
  sharedSyntheticModel,
  startTestServer,
  testToken,
} from './test-support/server-fixture.js';

/**
 * The page in real headless Debian Chromium (never a downloaded browser), driven by playwright-core: predict,
 * correct with the token, see the prediction change and the key fire, roll the edit back. Skipped, loudly,
 * only where no Chromium is installed; CI installs it.
 */
const chromiumPath = process.env.GRACE_CHROMIUM ?? '/usr/bin/chromium';
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

if (!existsSync(chromiumPath)) {
  console.warn(`\n*** @grace/server: NO CHROMIUM at ${chromiumPath}, the web page test is SKIPPED\n`);
}

describe.skipIf(!existsSync(chromiumPath))('the web page in headless Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer({ ...(await sharedSyntheticModel()), trainingIterations: 40 });
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop(true);
  });

  it('predicts, takes a correction, shows the key firing, and rolls it back', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    const waitForText = (selector: string, text: RegExp) =>
      page.locator(selector).filter({ hasText: text }).waitFor();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.textContent('#model')).resolves.toContain('synthetic');

    await page.fill('#input', '[-3.3, 0.9]');
    await page.click('#predict');
    await waitForText('#prediction', /^0$/);
    await expect(page.textContent('#fired')).resolves.toBe('no key fired');

    // A correction without the token is refused and changes nothing.
    await page.selectOption('#label', { label: '1' });
    await page.click('#correct');
    await page.locator('#status.error').waitFor();
    await expect(page.textContent('#status')).resolves.toContain('bearer token');
    expect(server.service.codebook.size).toBe(0);

    await page.fill('#token', testToken);
    await page.dispatchEvent('#token', 'change');
    await page.click('#correct');
    await waitForText('#prediction', /^1$/);
    await expect(page.textContent('#fired')).resolves.toMatch(/^key 0 fired \(edit-\d+\)$/);
    await expect(page.textContent('#status')).resolves.toMatch(/ADD key 0, fixed/);
    await waitForText('#stats', /^1 keys, 1 edits/);
    await expect(page.locator('#edits tr').count()).resolves.toBe(1);

    await page.click('#edits button');
    await waitForText('#prediction', /^0$/);
    await expect(page.textContent('#fired')).resolves.toBe('no key fired');
    await waitForText('#stats', /^0 keys, 0 edits/);
    await expect(page.locator('#edits tr').count()).resolves.toBe(0);
    expect(failures).toEqual([]);
  }, 60_000);

  it('shows an input with a right-to-left override as escapes, not reversed', async () => {
    const text = 'abc\u202Eevil\u202C';
    await server.request('POST', '/v1/edits', { edits: [{ input: [-3.3, 0.9], label: 1 }] });
    const id = server.service.codebook.records.at(-1)?.id as string;
    // The synthetic model takes points, so the edit list is rewritten on its way into the browser to carry a
    // text with an override, as a lande user could send one.
    const page = await browser.newPage();
    await page.route('**/v1/edits?limit=100', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { edits: { id: string; input: unknown }[] };
      for (const edit of body.edits) if (edit.id === id) edit.input = text;
      await route.fulfill({ response, json: body });
    });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#token', testToken);
    await page.dispatchEvent('#token', 'change');
    const cell = page.locator('#edits tr td:nth-child(3)').first();
    await cell.filter({ hasText: 'abc' }).waitFor();
    const shown = (await cell.textContent()) ?? '';
    expect(shown).toBe('"abc\\u202eevil\\u202c"');
    expect(shown).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    await page.close();
  }, 60_000);
});
