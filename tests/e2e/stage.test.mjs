// The stage's moments: play pauses on an anomaly with its explanation in view, Step and ← say what they
// did in the caption, and the scrubber's marks go to each fault and anomaly of the run.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, scrub, screenshotPath } from './harness.mjs';

const env = useBrowser();

/** Whether the element is wholly inside the window (seen without scrolling). */
async function inView(page, selector) {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth && r.height > 0;
  });
}

test('play pauses on the first duplicate of preset 5, its explanation in view, and Space goes on', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  await page.selectOption('[data-testid=speed]', '10');
  await page.click('[data-testid=play]');
  await page.waitForSelector('[data-testid=focus]', { timeout: 30_000 });
  assert.equal(await page.textContent('[data-testid=play]'), 'Play', 'paused');
  assert.equal(await page.textContent('[data-testid=figure-duplicates]'), '1');
  assert.match(await page.textContent('[data-testid=focus]'), /Duplicate effect[\s\S]*applied twice/);
  assert.ok(await inView(page, '[data-testid=focus]'), 'the explanation is on screen, no scrolling');
  assert.match(await page.textContent('[data-testid=caption]'), /^Paused at .*Duplicate effect/);
  // The causal chain: numbered on the boxes in the order the message reached them, lit one after another
  // (each box's light starts 0.7 s after the one before), and said in the callout with the same numbers.
  const chain = await page.$$eval('[data-chain-step]', (els) =>
    els.map((e) => ({ step: Number(e.dataset.chainStep), node: e.dataset.node, delay: getComputedStyle(e.querySelector('rect.box')).animationDelay }))
      .sort((a, b) => a.step - b.step));
  assert.deepEqual(chain.map((c) => c.node).slice(0, 2), ['producer-0', 'topic-0'], JSON.stringify(chain));
  assert.ok(chain.some((c) => c.node === 'sink-0') && chain.some((c) => c.node.startsWith('consumer-')), JSON.stringify(chain));
  assert.deepEqual(chain.map((c) => c.delay), chain.map((c, k) => `${Math.round(k * 0.7 * 10) / 10}s`), 'lit in order');
  assert.match(await page.textContent('[data-testid=focus-chain]'), /^1 user-service → 2 user-events → 3 c\d → 4 email/);
  // The callout stands beside the picture's right edge, where its sink is, and covers nothing of it.
  const [callout, stage, sink] = await Promise.all(['[data-testid=focus]', '[data-testid=stage]', '[data-node=sink-0]'].map((s) => page.locator(s).boundingBox()));
  assert.ok(callout.x >= stage.x + stage.width, 'beside the stage, not over it');
  assert.ok(sink.x + sink.width <= stage.x + stage.width && callout.x - (sink.x + sink.width) < 80, `the sink is next to the callout: ${JSON.stringify({ callout, sink })}`);
  await page.waitForTimeout(3_000);
  await page.screenshot({ path: screenshotPath('stage-paused-on-anomaly') });
  await page.keyboard.press('Space');
  await page.waitForSelector('[data-testid=focus]', { state: 'detached' });
  assert.equal(await page.textContent('[data-testid=play]'), 'Pause', 'playing on');
  assert.deepEqual(problems, []);
  await context.close();
});

test('Step and ← say in the caption what they did, and ← goes back exactly one event', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  const trace = () => page.textContent('[data-testid=trace-hash]');
  for (let i = 0; i < 6; i++) await page.click('[data-testid=step]');
  const fifth = await (async () => {
    await page.click('[data-testid=step-back]');
    return { trace: await trace(), caption: await page.textContent('[data-testid=caption]') };
  })();
  assert.match(fifth.caption, /^Back one event, to \d+\.\d{3} s: /);
  await page.click('[data-testid=step]');
  assert.match(await page.textContent('[data-testid=caption]'), /^\d+\.\d{3} s: /);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await trace(), fifth.trace, 'back to the same moment, exactly');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the scrubber marks every anomaly of the run, and a mark shows its anomaly at its moment', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  const marks = page.locator('[data-testid=marks] .mark.anomaly');
  assert.equal(await marks.count(), 4, 'preset 5 duplicates four emails');
  const label = await marks.nth(2).getAttribute('aria-label');
  await marks.nth(2).click();
  await page.waitForSelector('[data-testid=focus]');
  assert.equal(await page.textContent('[data-testid=clock]'), label.split(':')[0], 'at the anomaly\'s moment');
  assert.equal(await page.textContent('[data-testid=figure-duplicates]'), '3');
  await page.screenshot({ path: screenshotPath('stage-scrubber-marks') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a sink keeps its duplicates in view however long the run, and a harmless repeat reads as harmless', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=figure-status]').textContent.includes('final'));
  await page.click('[data-testid=canvas] [data-node=sink-0]');
  const duplicates = await page.$$eval('[data-testid=ledger-duplicates] li', (lis) => lis.map((li) => li.textContent));
  assert.equal(duplicates.length, 4, 'all four of preset 5\'s duplicate emails');
  assert.ok(duplicates.every((d) => d.includes('DUPLICATE')), duplicates.join('\n'));
  // Preset 10: the replay applies upserts again (harmless) and sends emails again (duplicates).
  await page.selectOption('[data-testid=preset]', '9');
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=figure-status]').textContent.includes('final'));
  const sinks = await page.$$eval('[data-testid=canvas] [data-node^=sink-]', (els) => els.map((el) => [el.dataset.node, el.textContent]));
  const upsert = sinks.find(([, text]) => text.includes('upsert'));
  assert.ok(upsert, JSON.stringify(sinks));
  await page.click(`[data-testid=canvas] [data-node=${upsert[0]}]`);
  const rows = await page.$$eval('[data-testid=ledger] li', (lis) => lis.map((li) => li.textContent));
  assert.ok(rows.some((r) => r.includes('again, harmless')), rows.join('\n'));
  assert.ok(rows.every((r) => !r.includes('DUPLICATE')), rows.join('\n'));
  assert.equal(await page.locator('[data-testid=ledger-duplicates]').count(), 0, 'no duplicates at an upsert sink');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a queue draws its waiting and in-flight messages, its dead-letter queue is a node, and a rebalance moves partitions', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '1');
  let seen = { waiting: 0, inFlight: 0 };
  for (let t = 200; t <= 6_000 && (seen.waiting === 0 || seen.inFlight === 0); t += 200) {
    await scrub(page, t);
    const now = await page.evaluate(() => ({
      waiting: document.querySelectorAll('[data-testid=canvas] .entries rect.cell.waiting').length,
      inFlight: document.querySelectorAll('[data-testid=canvas] .entries rect.cell.in-flight').length,
    }));
    seen = { waiting: Math.max(seen.waiting, now.waiting), inFlight: Math.max(seen.inFlight, now.inFlight) };
  }
  assert.ok(seen.waiting > 0 && seen.inFlight > 0, JSON.stringify(seen));
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=figure-status]').textContent.includes('final'));
  assert.match(await page.textContent('[data-testid=canvas] [data-node=dlq-0]'), /[1-9]\d* messages? parked/);
  assert.ok((await page.locator('[data-testid=canvas] .entries rect.cell.parked').count()) >= 1);
  await page.click('[data-testid=canvas] [data-node=dlq-0]');
  assert.match(await page.textContent('[data-testid=dlq-messages]'), /#\d+/);
  await page.screenshot({ path: screenshotPath('stage-queue-and-dlq') });
  // Preset 5: a crash makes the group rebalance; the picture says so, and who owns which partition after.
  await page.selectOption('[data-testid=preset]', '4');
  const members = () => page.$$eval('[data-testid=canvas] [data-node^=consumer-]', (els) => els.map((el) => el.textContent));
  let shared = null;
  let rebalancing = false;
  let reassigned = null;
  for (let t = 100; t <= 20_000 && !reassigned; t += 50) {
    await scrub(page, t);
    const now = await members();
    if (!shared && now.every((m) => /· P\d/.test(m))) shared = now;
    const group = await page.textContent('[data-testid=canvas] [data-node=group-0]');
    // Not the group's first join (at 0 s): a rebalance after a crash or a restart.
    const at = group.match(/rebalanced at (\d+\.\d+) s/);
    if (shared && at && Number(at[1]) > 1) rebalancing = true;
    if (rebalancing && now.some((m) => /· P\d/.test(m))) reassigned = now;
  }
  assert.ok(shared && rebalancing && reassigned, `shared ${shared}, rebalancing ${rebalancing}, after ${reassigned}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the picture zooms with + − 0 F and Ctrl + wheel, and its background drags to pan', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  const width = () => page.$eval('[data-testid=canvas]', (el) => el.getBoundingClientRect().width);
  const legible = await width();
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  const zoomed = await width();
  assert.ok(zoomed > legible * 1.4, `${legible} → ${zoomed}`);
  const stage = await page.$eval('[data-testid=stage]', (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await page.mouse.move(stage.x + stage.w / 2, stage.y + 12);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  await page.waitForFunction((w) => document.querySelector('[data-testid=canvas]').getBoundingClientRect().width > w * 1.1, zoomed);
  const before = await page.$eval('[data-testid=stage]', (el) => el.scrollLeft);
  await page.mouse.move(stage.x + stage.w / 2, stage.y + 12);
  await page.mouse.down();
  await page.mouse.move(stage.x + stage.w / 2 - 200, stage.y + 12, { steps: 5 });
  await page.mouse.up();
  assert.ok((await page.$eval('[data-testid=stage]', (el) => el.scrollLeft)) > before + 100, 'dragging left pans right');
  await page.keyboard.press('f');
  const fit = await page.$eval('[data-testid=canvas]', (el) => el.getBoundingClientRect());
  assert.ok(fit.width <= stage.w + 1 && fit.height <= stage.h + 1, 'Fit shows the whole picture');
  await page.keyboard.press('0');
  assert.equal(Math.round(await width()), Math.round(legible), 'back to the legible size');
  assert.deepEqual(problems, []);
  await context.close();
});

test('preset 9 played at 1× shows its losses, final, within 40 s of pressing Play', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '8');
  const started = Date.now();
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=figure-status]').textContent.includes('final'), null, { timeout: 40_000 });
  const seconds = (Date.now() - started) / 1000;
  assert.ok(Number(await page.textContent('[data-testid=figure-lost]')) >= 1, 'at-most-once loses messages');
  assert.match(await page.textContent('[data-testid=caption]'), /lost.*final\./);
  // The frame that ended play is drawn: the picture shows the run's last moment, not the one before.
  assert.equal(await page.getAttribute('[data-testid=canvas]', 'data-at-ms'), await page.inputValue('[data-testid=scrubber]'));
  console.log(`preset 9: final after ${seconds.toFixed(1)} s of play at 1×`);
  await page.screenshot({ path: screenshotPath('stage-preset-09-final') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('two fingers pinching the stage zoom the picture in, and back out', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  const width = async () => (await page.locator('[data-testid=canvas]').boundingBox()).width;
  const stage = await page.locator('[data-testid=stage]').boundingBox();
  const [cx, cy] = [stage.x + stage.width / 2, stage.y + stage.height / 2];
  const pinch = async (from, to) => {
    const points = (d) => [{ x: cx - d, y: cy, id: 1 }, { x: cx + d, y: cy, id: 2 }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: points(from) });
    for (let k = 1; k <= 10; k++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: points(from + ((to - from) * k) / 10) });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  };
  const before = await width();
  // Fingers spread to twice their distance: three steps of 1.25 (1.95×), as three presses of "+".
  await pinch(60, 120);
  await page.waitForFunction((w) => document.querySelector('[data-testid=canvas]').getBoundingClientRect().width > w * 1.9, before);
  const spread = await width();
  assert.ok(Math.abs(spread / before - 1.25 ** 3) < 0.02, `${before} → ${spread}`);
  await pinch(120, 60);
  await page.waitForFunction((w) => document.querySelector('[data-testid=canvas]').getBoundingClientRect().width < w * 1.1, before);
  assert.ok(Math.abs((await width()) - before) < 2, 'pinched back to where it was');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the anomaly tour: the feed lists every anomaly of the run, and going to one keeps them all', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '6');
  await page.click('[data-testid=panels-toggle]');
  const items = page.locator('[data-testid=anomalies] li');
  const total = await items.count();
  assert.ok(total >= 4, `${total} anomalies`);
  assert.equal(await page.locator('[data-testid=anomalies] li.ahead').count(), total, 'all still ahead at t = 0');
  // The last one: the run goes there, and the list stays whole.
  await items.nth(total - 1).locator('button').click();
  await page.waitForSelector('[data-testid=tour]');
  assert.equal((await page.textContent('[data-testid=tour]')).trim().replace(/\s+/g, ' '), `◂ Anomaly ${total} of ${total} ▸`);
  assert.equal(await items.count(), total);
  // The first, by click; then ] and [ walk the room through them.
  await items.nth(0).locator('button').click();
  await page.waitForFunction(() => /Anomaly 1 of/.test(document.querySelector('[data-testid=tour]')?.textContent ?? ''));
  assert.equal(await items.count(), total, 'going back in time hides none of them');
  assert.equal(await page.locator('[data-testid=anomalies] li.current').count(), 1);
  await page.keyboard.press(']');
  await page.waitForFunction(() => /Anomaly 2 of/.test(document.querySelector('[data-testid=tour]')?.textContent ?? ''));
  await page.screenshot({ path: screenshotPath('anomaly-tour') });
  await page.keyboard.press('[');
  await page.waitForFunction(() => /Anomaly 1 of/.test(document.querySelector('[data-testid=tour]')?.textContent ?? ''));
  await page.click('[data-testid=next-anomaly]');
  await page.waitForFunction(() => /Anomaly 2 of/.test(document.querySelector('[data-testid=tour]')?.textContent ?? ''));
  assert.deepEqual(problems, []);
  await context.close();
});
