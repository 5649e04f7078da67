// Exploring a run: tokens and journeys, the handler's crash points, inject-now faults, in-place edits,
// anomalies that jump to their moment, and scrubbing that shows the same moment exactly.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { useBrowser, openApp, score, screenshotPath, scrub } from './harness.mjs';

const env = useBrowser();

const SCORES = ['produced', 'appended', 'delivered', 'processed', 'duplicates', 'lost', 'dead-lettered', 'crashes'];
async function scores(page) {
  const s = {};
  for (const id of SCORES) s[id] = await score(page, id);
  return s;
}
async function preset(page, n) {
  await page.selectOption('[data-testid=preset]', String(n - 1));
}
async function toEnd(page) {
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
}

test('a message token says its type and entity, and clicking it shows its journey', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  // Step until the first record is appended: its token leaves the producer.
  for (let i = 0; i < 60 && (await page.locator('[data-testid=tokens] .token[data-kind=send]').count()) === 0; i++) {
    await page.click('[data-testid=step]');
  }
  const token = page.locator('[data-testid=tokens] .token[data-kind=send]').first();
  // Its type and entity ("UserRegistered u1"), or only the entity where the full label has no room yet.
  assert.match(await token.locator('.token-label').textContent(), /^(UserRegistered )?u1$/);
  await token.click();
  await page.waitForSelector('[data-testid=journey-title]');
  assert.match(await page.textContent('[data-testid=journey-title]'), /UserRegistered #1/);
  assert.match(await page.textContent('[data-testid=journey]'), /produced it/);
  assert.match(await page.textContent('[data-testid=journey]'), /appended to user-events/);
  // The journey as a sequence diagram, drawn on the page and downloadable as Mermaid text and SVG.
  await page.waitForSelector('[data-testid=sequence] .lane-name');
  // Open from the start, and legible in the page: it scrolls sideways rather than shrinking its type.
  const fontPx = await page.$$eval('[data-testid=sequence] text', (ts) => Math.min(...ts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)));
  assert.ok(fontPx >= 12.99, `its smallest type is ${fontPx} px on screen`);
  await page.screenshot({ path: screenshotPath('journey-sequence-1280x720') });
  assert.ok((await page.locator('[data-testid=sequence] .step').count()) >= 2);
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-sequence-svg]')]);
  const svg = await fs.readFile(await svgDownload.path(), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<style[^>]*>[^<]*\.sequence \.lifeline/);
  assert.match(svg, /user-service produced it/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-mermaid]')]);
  assert.equal(download.suggestedFilename(), 'journey-message-1.mmd');
  const mermaid = await fs.readFile(await download.path(), 'utf8');
  assert.match(mermaid, /^sequenceDiagram\n    participant P as user-service\n    participant B as user-events\n/);
  assert.match(mermaid, /P->>B: \d+\.\d{3} s user-service produced it/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('crash now is recorded, shown, and replays the same after a restart', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await preset(page, 5);
  await scrub(page, 4000);
  await page.click('[data-node=consumer-0]');
  await page.click('[data-testid=inject-crash]');
  await page.waitForSelector('[data-testid=notice]');
  assert.match(await page.textContent('[data-testid=notice]'), /Injected at 4\.000 s: crash c1 now/);
  assert.match(await page.getAttribute('[data-node=consumer-0]', 'class'), /crashed/);
  const burst = page.locator('[data-testid=tokens] .token[data-kind=crash]', { hasText: 'c1 crashed' }).locator('.burst');
  assert.equal(await burst.count(), 1, 'a crash burst is drawn');
  // It pops open with the virtual time, as the tokens move: small at the crash, whole 600 ms on.
  assert.match(await burst.getAttribute('transform'), /^scale\(0\.3\b/);
  await page.screenshot({ path: screenshotPath('inject-crash') });
  await scrub(page, 4700);
  await page.waitForFunction(() => document.querySelector('[data-testid=canvas]').dataset.atMs === '4700');
  assert.match(await burst.getAttribute('transform'), /^scale\(1\b/);
  await toEnd(page);
  const live = await scores(page);
  await page.click('[data-testid=restart]');
  assert.equal(await page.textContent('[data-testid=clock]'), '0.000 s');
  await toEnd(page);
  assert.deepEqual(await scores(page), live, 'the injected crash is part of the scenario now');

  // The fault timeline lists it (the panels with nothing selected), at its moment; removing it undoes it.
  await page.click('[data-testid=stage] .canvas', { position: { x: 5, y: 5 } });
  await page.click('[data-testid=panels-toggle]');
  await page.waitForSelector('[data-testid=scripted-fault-0]');
  assert.match(await page.textContent('[data-testid=scripted-fault-0]'), /crash c1/);
  assert.equal(await page.inputValue('[data-testid=move-fault-0]'), '4000');
  await page.screenshot({ path: screenshotPath('fault-timeline') });
  await page.click('[data-testid=remove-fault-0]');
  await page.waitForSelector('[data-testid=fault-timeline-empty]');
  assert.equal(await page.locator('[data-testid=marks] .mark.fault').count(), 0, 'its mark left the scrubber');
  // Every fault probability is editable here, the five that were JSON-only included.
  for (const rate of ['duplicate_delivery', 'poison', 'slow', 'read_api_failure', 'relay_crash']) {
    assert.equal(await page.locator(`[data-testid=edit-rate-${rate}]`).count(), 1, rate);
  }
  await toEnd(page);
  const clean = await scores(page);
  await page.fill('[data-testid=edit-rate-poison]', '10');
  await page.press('[data-testid=edit-rate-poison]', 'Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').textContent === '0.000 s');
  assert.equal(await page.inputValue('[data-testid=edit-rate-poison]'), '10');
  await toEnd(page);
  assert.notDeepEqual(await scores(page), clean, 'one message in ten poisoned changes the outcome');
  assert.deepEqual(problems, []);
  await context.close();
});

test('clicking a handler line arms a crash there (the naive check crashes between effect and record)', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await preset(page, 6);
  await page.click('[data-node=consumer-0]');
  const code = await page.textContent('[data-testid=handler-code]');
  assert.match(code, /if redis\.exists\(msg\.id\): return/);
  assert.match(code, /redis\.set\(msg\.id\)/);
  await page.click('[data-testid=handler-code] .code-line:has-text("send_email") button');
  await page.waitForSelector('[data-testid=handler-code] .code-line.armed');
  assert.match(await page.textContent('[data-testid=handler-code] .code-line.armed'), /send_email/);
  assert.match(await page.textContent('[data-node=consumer-0]'), /⚠ armed/);
  // Step until the armed consumer handles its next message: its line in progress is highlighted.
  for (let i = 0; i < 400 && (await page.locator('[data-testid=handler-code] .code-line.active').count()) === 0; i++) {
    await page.click('[data-testid=step]');
  }
  assert.equal(await page.locator('[data-testid=handler-code] .code-line.active').count() >= 1, true);
  await page.screenshot({ path: screenshotPath('handler-armed') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('editing the idempotency strategy restarts the run and changes the outcome', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await preset(page, 5);
  await toEnd(page);
  assert.ok((await score(page, 'duplicates')) >= 1);
  await page.click('[data-node=consumer-0]');
  await page.selectOption('[data-testid=edit-strategy]', 'claim_first');
  await page.waitForSelector('[data-testid=notice]');
  assert.equal(await page.textContent('[data-testid=clock]'), '0.000 s');
  await toEnd(page);
  assert.equal(await score(page, 'duplicates'), 0, 'claiming before the effect stops the second email');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a group and a producer are added as copies and removed from the canvas', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await preset(page, 1);
  const groups = await page.locator('[data-node^=group-]').count();
  const onTitle = { position: { x: 30, y: 8 } }; // a group's box holds its members' boxes
  await page.click('[data-node=group-0]', onTitle);
  await page.click('[data-testid=copy-group]');
  await page.waitForSelector(`[data-node=group-${groups}]`);
  // Its whole name is in its accessible label (the drawn title may be cut to fit beside the open panels).
  assert.match(await page.getAttribute(`[data-node=group-${groups}] > .hit`, 'aria-label'), /notifications-2/);
  assert.match(await page.textContent('[data-testid=canvas]'), /email-2/, 'the new team has its own email service');
  await toEnd(page);
  assert.match(await page.textContent('[data-testid=details]'), /Group notifications-2 settings/);
  await page.click(`[data-node=group-${groups}]`, onTitle);
  await page.click('[data-testid=remove-group]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-node^=group-]').length === n, groups);
  assert.doesNotMatch(await page.textContent('[data-testid=canvas]'), /email-2/);

  await page.click('[data-node=producer-0]');
  await page.click('[data-testid=copy-producer]');
  await page.waitForSelector('[data-node=producer-1]');
  await toEnd(page);
  assert.equal(await score(page, 'produced'), 120, 'two producers of 60');
  await page.click('[data-node=producer-1]');
  await page.click('[data-testid=remove-producer]');
  await page.click('[data-node=producer-0]');
  await page.click('[data-testid=remove-producer]');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.textContent('[role=alert]'), /at least one producer/);
  assert.equal(await page.locator('[data-node^=producer-]').count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('with prefers-reduced-motion the tokens sit still instead of gliding', async () => {
  // The same moments, 20 ms apart: the tokens on screen at both move only when motion is welcome.
  const moved = async (reducedMotion) => {
    const { page, context, problems } = await openApp(env.browser, env.srv.url, { reducedMotion });
    await preset(page, 2);
    const at = async (ms) => {
      await scrub(page, ms);
      return page.$$eval('[data-testid=tokens] .token', (els) => els.map((e) => [e.dataset.message + ' ' + e.dataset.kind, e.getAttribute('transform')]));
    };
    let both = 0, changed = 0;
    for (const ms of [2_000, 3_000, 4_000, 5_000]) {
      const before = new Map(await at(ms));
      for (const [token, transform] of await at(ms + 20)) {
        if (!before.has(token)) continue;
        both += 1;
        if (before.get(token) !== transform) changed += 1;
      }
    }
    assert.deepEqual(problems, []);
    await context.close();
    return { both, changed };
  };
  const still = await moved('reduce');
  const gliding = await moved('no-preference');
  assert.ok(still.both > 0 && gliding.both > 0, JSON.stringify({ still, gliding }));
  assert.equal(still.changed, 0);
  assert.ok(gliding.changed > 0);
});

test('a bad edit keeps the run and says why', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.click('[data-node=topic-0]');
  await page.fill('[data-testid=edit-partitions]', '0');
  await page.dispatchEvent('[data-testid=edit-partitions]', 'change');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.textContent('[role=alert]'), /partitions/);
  assert.ok((await page.locator('.partition').count()) >= 1, 'the topic is still drawn');
  assert.deepEqual(problems, []);
  await context.close();
});

test('clicking an anomaly jumps to its moment, opens the journey and highlights the chain', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await preset(page, 5);
  await toEnd(page);
  await page.click('[data-testid=panels-toggle]');
  const first = page.locator('[data-testid=anomalies] li[data-kind="Duplicate effect"] button').first();
  const time = (await first.locator('.time').textContent()).trim();
  await first.click();
  await page.waitForSelector('[data-testid=focus]');
  assert.equal(await page.textContent('[data-testid=clock]'), time);
  assert.match(await page.textContent('[data-testid=focus]'), /applied twice/);
  const journey = await page.textContent('[data-testid=journey]');
  assert.ok((journey.match(/applied the effect/g) ?? []).length >= 2, journey);
  assert.match(journey, /crashed while handling it/);
  assert.ok((await page.locator('.node.focus').count()) >= 1, 'the consumers in the causal chain are highlighted');
  await page.screenshot({ path: screenshotPath('anomaly-focus') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('scrubbing back and forward shows identical scoreboards and tokens', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await preset(page, 2);
  await scrub(page, 5000);
  const a = await scores(page);
  const tokensA = await page.$$eval('[data-testid=tokens] .token', (els) => els.map((e) => e.getAttribute('transform')));
  await scrub(page, 12000);
  assert.notDeepEqual(await scores(page), a);
  await scrub(page, 5000);
  assert.deepEqual(await scores(page), a);
  const tokensB = await page.$$eval('[data-testid=tokens] .token', (els) => els.map((e) => e.getAttribute('transform')));
  assert.deepEqual(tokensB, tokensA);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the chart draws each group lag over time and the latency percentiles', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await scrub(page, 15000);
  assert.equal(await page.locator('[data-testid=chart] path.series').count(), 4, 'notifications, analytics, crm, audit');
  assert.match(await page.textContent('.legend'), /lag audit: \d+/);
  assert.match(await page.textContent('[data-testid=latency]'), /p50 \d+ ms · p95 \d+ ms/);
  await page.screenshot({ path: screenshotPath('charts'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("every element's details lead to what the model simplifies, as the format document says it", async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.click('[data-node=topic-0]');
  await page.click('[data-testid=show-simplifications]');
  await page.waitForSelector('[data-testid=simplifications]');
  const items = await page.$$eval('[data-testid=simplifications] li', (lis) => lis.map((li) => li.textContent));
  const doc = await fs.readFile(new URL('../../docs/scenario-format.md', import.meta.url), 'utf8');
  const bullets = doc.split('\n## Simplifications\n')[1].split('\n## ')[0].split('\n').filter((l) => l.startsWith('- **'));
  assert.equal(items.length, bullets.length);
  assert.ok(items.some((t) => t.startsWith('Eager rebalance with the range assignor.')), items.join('\n'));
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=simplifications]', { state: 'detached' });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a keyboard reaches a message: Enter on a box takes it into the box\'s messages, Enter opens a journey, Tab the next', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await scrub(page, 3_000);
  await page.focus('[data-node=topic-0] > .hit');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.classList.contains('cell'));
  const first = await page.evaluate(() => document.activeElement.dataset.message);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=journey-title]');
  assert.match(await page.textContent('[data-testid=journey-title]'), new RegExp(`#${first} `));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.message), first, 'the focus stays on the message');
  await page.keyboard.press('Tab');
  const second = await page.evaluate(() => document.activeElement?.dataset.message);
  assert.ok(second && second !== first, `Tab goes to the next message: ${second}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((m) => document.querySelector('[data-testid=journey-title]')?.textContent.includes(`#${m} `), second);
  assert.deepEqual(problems, []);
  await context.close();
});
