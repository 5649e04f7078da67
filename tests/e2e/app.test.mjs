// The built app, served from a sub-path, driven in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, score, screenshotPath } from './harness.mjs';

const env = useBrowser();

test('the app shell loads from a sub-path, Step and Play change what is shown', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  assert.match(await page.textContent('h1'), /Brokerscope/);
  assert.equal(await page.textContent('[data-testid=clock]'), '0.000 s');
  assert.equal(await score(page, 'produced'), 0);

  await page.click('[data-testid=step]');
  // The first event is the first message being produced at t = 0.
  assert.equal(await score(page, 'produced'), 1);

  await page.click('[data-testid=play]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=score-delivered]').textContent) > 3);
  await page.click('[data-testid=play]');
  const clock = await page.textContent('[data-testid=clock]');
  assert.notEqual(clock, '0.000 s');
  await page.screenshot({ path: screenshotPath('app-shell-playing') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('keyboard: space plays and pauses, arrow right steps, R restarts', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.ok((await score(page, 'produced')) >= 1);
  await page.keyboard.press('r');
  assert.equal(await score(page, 'produced'), 0);
  assert.equal(await page.textContent('[data-testid=clock]'), '0.000 s');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent === 'Pause');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent !== 'Pause');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a bad seed shows a clear message and keeps the run', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.fill('[data-testid=seed]', '-5');
  await page.dispatchEvent('[data-testid=seed]', 'change');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.textContent('[role=alert]'), /not a seed/);
  assert.equal(await page.inputValue('[data-testid=seed]'), '1');
  assert.deepEqual(problems, []);
  await context.close();
});
