// The built app, served from a sub-path, driven in headless Chromium.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, score, screenshotPath, scrub } from './harness.mjs';

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

test('? lists every shortcut and links the workshop plan, Esc closes it, and single-key shortcuts can be turned off for good', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid=help-dialog]');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'close-help', 'the help takes the focus');
  const keys = await page.$$eval('[data-testid=help-dialog] th kbd', (ks) => ks.map((k) => k.textContent));
  for (const key of ['Space', 'PageDown / PageUp', '] / [', '?', 'Esc']) assert.ok(keys.includes(key), `${key} is listed: ${keys}`);
  await page.screenshot({ path: screenshotPath('help-1280x720') });
  // The plan opens from the served app (a plain-text copy of docs/workshop.md).
  const plan = await page.request.get(new URL(await page.getAttribute('[data-testid=workshop-plan]', 'href'), page.url()).href);
  assert.equal(plan.status(), 200);
  assert.match(await plan.text(), /60-minute workshop/);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=help-dialog]', { state: 'detached' });

  // Turned off, a single key does nothing; named keys still work.
  await page.click('[data-testid=help]');
  await page.uncheck('[data-testid=single-keys]');
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('[data-testid=help-dialog]').count(), 0, '? no longer opens the help');
  assert.equal(await score(page, 'produced'), 1, 'the arrow still steps');
  // And it stays off on the next visit.
  await page.reload();
  await page.waitForSelector('[data-testid=play]');
  await page.keyboard.press('?');
  assert.equal(await page.locator('[data-testid=help-dialog]').count(), 0);
  await page.click('[data-testid=help]');
  assert.equal(await page.isChecked('[data-testid=single-keys]'), false);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the live region speaks no faster than a screen reader can: a line per 4 s at most while playing', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '6');
  await page.uncheck('[data-testid=pause-on-anomaly]');
  await page.evaluate(() => {
    window.__said = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) window.__said.push([performance.now(), n.textContent]);
    }).observe(document.querySelector('[data-testid=narration]'), { childList: true });
  });
  await page.click('[data-testid=play]');
  await page.waitForTimeout(9_000);
  const said = await page.evaluate(() => window.__said);
  assert.ok(said.length >= 2, 'it speaks while playing, more than once in 9 s');
  for (let i = 1; i < said.length; i++) {
    assert.ok(said[i][0] - said[i - 1][0] >= 3_900, `lines ${i - 1} and ${i} came ${Math.round(said[i][0] - said[i - 1][0])} ms apart: ${JSON.stringify(said)}`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('the theme follows the system live; a chosen theme and more contrast stay for the next visit', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url, { colorScheme: 'light' });
  const root = () => page.evaluate(() => ({ ...document.documentElement.dataset }));
  assert.deepEqual(await root(), { theme: 'light', contrast: 'normal' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await background(), 'rgb(17, 19, 26)', 'the dark theme is drawn');

  await page.click('[data-testid=help]');
  await page.selectOption('[data-testid=theme]', 'light');
  await page.check('[data-testid=more-contrast]');
  await page.waitForFunction(() => document.documentElement.dataset.contrast === 'more');
  assert.deepEqual(await root(), { theme: 'light', contrast: 'more' }, 'light, though the system is dark');
  const [muted, text] = await page.evaluate(() => ['--text-muted', '--text'].map((v) => getComputedStyle(document.documentElement).getPropertyValue(v).trim()));
  assert.equal(muted, '#1c2030', 'secondary text as strong as the text');
  assert.equal(text, '#1c2030');
  await page.screenshot({ path: screenshotPath('more-contrast-light') });

  await page.reload();
  await page.waitForSelector('[data-testid=canvas]');
  assert.deepEqual(await root(), { theme: 'light', contrast: 'more' }, 'kept for the next visit, before the app starts');
  await page.click('[data-testid=help]');
  assert.equal(await page.inputValue('[data-testid=theme]'), 'light');
  assert.equal(await page.isChecked('[data-testid=more-contrast]'), true);
  await page.selectOption('[data-testid=theme]', 'system');
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  assert.deepEqual(problems, []);
  await context.close();
});

test('reduced motion is followed live: tokens sit halfway along their hop instead of gliding', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const at = () => page.$$eval('[data-testid=tokens] .token', (gs) => gs.map((g) => {
    const m = g.transform.baseVal.getItem(0).matrix; // read only: consolidate() would replace the layer's transform
    return `${g.dataset.message} ${g.dataset.kind} ${m.e} ${m.f}`;
  }).sort());
  await scrub(page, 1_010);
  const gliding = await at();
  assert.ok(gliding.length > 0, 'tokens on their way at 1.010 s');
  // The system's setting changes while the page is open; the next picture of the same moment follows it.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await scrub(page, 1_000);
  await scrub(page, 1_010);
  const still = await at();
  assert.equal(still.length, gliding.length);
  assert.notDeepEqual(still, gliding, 'the same tokens, drawn halfway instead of where their glide had reached');
  assert.deepEqual(problems, []);
  await context.close();
});
