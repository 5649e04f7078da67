// A guided lesson from start to finish, as a learner does it: predictions made before each step plays and
// revealed by the engine, a challenge met with the page's own edit controls, keyboard navigation, and
// presenter mode for the projector.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, screenshotPath } from './harness.mjs';

const env = useBrowser();

async function stepTitle(page) {
  return page.textContent('[data-testid=step-title]');
}
/** Waits for the step's moment: the reveal (after a prediction) or the run pausing where the step ends. */
async function waitForPause(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent !== 'Pause', null, { timeout: 20_000 });
}

// The picture must stay on a 1280×720 projector's screen, whole in its width and most of its height, with
// the lesson's text beside it rather than over or above it.
async function assertPictureInView(page, when) {
  const { stage, lesson, viewport } = await page.evaluate(() => {
    const box = (s) => document.querySelector(s).getBoundingClientRect().toJSON();
    return { stage: box('[data-testid=stage]'), lesson: box('[data-testid=lesson]'), viewport: { w: innerWidth, h: innerHeight } };
  });
  assert.ok(stage.top >= 0 && stage.bottom <= viewport.h, `the stage is on screen ${when}: ${JSON.stringify(stage)}`);
  assert.ok(stage.height >= viewport.h * 0.6, `the stage has most of the height ${when}: ${stage.height} px`);
  assert.ok(stage.width >= 820, `the stage is wide enough for the picture ${when}: ${stage.width} px`);
  assert.ok(lesson.left >= stage.right || lesson.right <= stage.left, `the lesson is beside the picture ${when}`);
}

test('lesson 3 runs start to finish: predict, reveal, and a challenge met with the edit controls', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=speed]', '100');
  await page.selectOption('[data-testid=lesson-select]', '2');
  await page.waitForSelector('[data-testid=lesson]');
  assert.equal(await stepTitle(page), 'No guard');
  assert.ok((await page.locator('.node.lesson-highlight').count()) >= 2, 'the step highlights its elements');
  await waitForPause(page);
  assert.equal(await page.textContent('[data-testid=clock]'), '20.000 s', 'the step played to its moment');

  // The agenda lists every step, this one marked.
  const agenda = await page.$$eval('[data-testid=agenda] button', (bs) => bs.map((b) => [b.textContent.trim(), b.getAttribute('aria-current')]));
  assert.deepEqual(agenda.map(([t]) => t), ['No guard · 2 min', 'The naive check · 3 min', 'Claim first · 3 min', 'Keys and inboxes · 3 min', 'Challenge: one email each · 4 min']);
  assert.equal(await page.textContent('.agenda-head'), 'Agenda, about 15 min');
  assert.deepEqual(agenda.map(([, c]) => c), ['step', null, null, null, null]);

  // Step 2, by keyboard (a presentation clicker sends PageDown): predict before it plays.
  await page.keyboard.press('PageDown');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'The naive check');
  assert.equal(await page.textContent('[data-testid=clock]'), '0.000 s', 'nothing plays before the prediction');
  assert.equal(await page.locator('[data-testid=reveal]').count(), 0);
  await page.click('[data-testid=choice-1]');
  await page.waitForSelector('[data-testid=reveal]');
  assert.match(await page.textContent('[data-testid=mark-1]'), /you said this/);
  assert.match(await page.textContent('[data-testid=mark-0]'), /this happened/);
  assert.match(await page.textContent('[data-testid=reveal]'), /Two windows stay open/);
  await assertPictureInView(page, 'during the reveal');
  await page.screenshot({ path: screenshotPath('lesson-reveal-1280x720') });
  assert.ok(Number(await page.textContent('[data-testid=score-duplicates]')) > 0, 'the scoreboard shows what the reveal says');

  // Step 3: claim first trades duplicates for losses; this time the learner guesses right.
  await page.click('[data-testid=next-step]');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'Claim first');
  await page.click('[data-testid=choice-1]');
  await page.waitForSelector('[data-testid=reveal]');
  assert.match(await page.textContent('[data-testid=mark-1]'), /you said this, and it happened/);
  assert.equal(await page.textContent('[data-testid=score-duplicates]'), '0');
  assert.ok(Number(await page.textContent('[data-testid=score-lost]')) > 0);

  // Step 4 plays by itself; step 5 is the challenge.
  await page.click('[data-testid=next-step]');
  await waitForPause(page);
  await page.click('[data-testid=next-step]');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'Challenge: one email each');
  await page.click('[data-testid=check-challenge]');
  await page.waitForSelector('[data-testid=verdict]');
  assert.match(await page.textContent('[data-testid=verdict]'), /^Not yet/);

  // The learner changes the group's strategy and the email service's setting with the page's controls.
  await page.click('[data-node=group-0]', { position: { x: 40, y: 10 } }); // its title, not a member inside it
  await page.selectOption('[data-testid=edit-strategy]', 'idempotency_key');
  await page.click('[data-node=sink-0]');
  await page.check('[data-testid=edit-accepts-key]');
  await page.click('[data-testid=check-challenge]');
  await page.waitForFunction(() => document.querySelector('[data-testid=verdict]')?.classList.contains('passed'));
  assert.match(await page.textContent('[data-testid=verdict]'), /guard sits where the effect happens/);
  assert.equal(await page.locator('[data-testid=checks] .unmet').count(), 0);

  // Presenter mode for the projector, and back by keyboard.
  await page.click('[data-testid=presenter]');
  assert.match(await page.getAttribute('.app', 'class'), /presenter/);
  await assertPictureInView(page, 'in presenter mode');
  await page.screenshot({ path: screenshotPath('lesson-presenter-1280x720') });
  await page.keyboard.press('PageUp');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'Keys and inboxes');
  // A step of the agenda is a click away.
  await page.click('[data-testid=agenda] button:has-text("No guard")');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'No guard');
  await page.click('[data-testid=end-lesson]');
  assert.equal(await page.locator('[data-testid=lesson]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a clicker moves between lesson steps even when the lesson select has focus, and Space presses only the focused button', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=lesson-select]', '2');
  await page.waitForSelector('[data-testid=lesson]');
  // A mouse user's choice leaves focus on the select; the clicker's PageDown must not pick another lesson.
  await page.focus('[data-testid=lesson-select]');
  const chosen = await page.inputValue('[data-testid=lesson-select]');
  await page.keyboard.press('PageDown');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'The naive check');
  assert.equal(await page.inputValue('[data-testid=lesson-select]'), chosen, 'the select kept its lesson');
  await page.keyboard.press('PageUp');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-title]').textContent === 'No guard');
  await page.click('[data-testid=end-lesson]');
  // Space on the focused Step button steps once; it does not also start play.
  if ((await page.textContent('[data-testid=play]')) !== 'Play') await page.click('[data-testid=play]');
  await page.focus('[data-testid=step]');
  const before = await page.textContent('[data-testid=clock]');
  await page.keyboard.press('Space');
  await page.waitForFunction((t) => document.querySelector('[data-testid=clock]').textContent !== t, before);
  await page.waitForTimeout(300);
  assert.equal(await page.textContent('[data-testid=play]'), 'Play', 'still paused');
  assert.deepEqual(problems, []);
  await context.close();
});
