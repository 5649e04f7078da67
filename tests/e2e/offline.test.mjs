// Offline once loaded: after one visit, the service worker serves the app (and any link into it) with the
// network gone, from the sub-path it was deployed at.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp } from './harness.mjs';

const env = useBrowser();

test('after one visit the app opens offline, links and embeds included', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  // The worker installs its precache and takes control of the page.
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 15_000 });
  await page.selectOption('[data-testid=preset]', '1');
  const hash = await page.waitForFunction(() => location.hash.length > 10 && location.hash).then((h) => h.jsonValue());
  const trace = await page.textContent('[data-testid=trace-hash]');

  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('[data-testid=canvas]');
  await page.waitForFunction((t) => document.querySelector('[data-testid=trace-hash]')?.textContent === t, trace);
  await page.click('[data-testid=step]');
  assert.equal(await page.locator('[data-testid=error]').count(), 0);

  // A link (another query, another fragment) opened offline in a new tab of the same browser.
  const tab = await context.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  await tab.goto(`${env.srv.url}?embed=1${hash}`);
  await tab.waitForSelector('[data-testid=embed] [data-testid=canvas]');
  assert.equal(await tab.textContent('[data-testid=preset] option:checked'), await page.textContent('[data-testid=preset] option:checked'));
  assert.deepEqual(errors, []);
  // Console errors while offline would be the failed network probes of the page itself, if any.
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED/.test(p)), []);
  await context.close();
});

test('the app is installable: its manifest parses, its icons load, and Chrome finds nothing in the way', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 15_000 });
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], 'the manifest parses');
  const parsed = JSON.parse(manifest.data);
  assert.equal(parsed.name, 'Brokerscope');
  assert.equal(new URL(manifest.url).pathname, new URL(env.srv.url).pathname + 'manifest.webmanifest', 'beside the page, on its sub-path');
  for (const icon of parsed.icons) {
    const response = await page.request.get(new URL(icon.src, manifest.url).href);
    assert.equal(response.status(), 200, icon.src);
  }
  // A test browser's context is incognito, which Chrome never installs from; anything else is the app's.
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito'), []);
  assert.deepEqual(problems, []);
  await context.close();
});
