// Compare: the same workload through a log lane and a queue lane in lockstep, their figures aligned; a
// pinned run against a changed one; and one link that reopens both lanes.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, screenshotPath, scrub } from './harness.mjs';

const env = useBrowser();

async function row(page, label) {
  return page.$$eval(`[data-testid="compare-${label}"] td`, (tds) => tds.map((td) => td.textContent));
}

// Both lanes whole on one 1280×720 screen: a room sees the two pictures at once, not one and a scroll bar.
async function assertBothLanesInView(page) {
  const boxes = await page.evaluate(() => ['[data-testid=stage]', '[data-testid=canvas]', '[data-testid=canvas-b]']
    .map((s) => document.querySelector(s).getBoundingClientRect().toJSON()));
  const [stage, a, b] = boxes;
  for (const [name, lane] of [['A', a], ['B', b]]) {
    assert.ok(lane.left >= stage.left - 1 && lane.right <= stage.right + 1 && lane.top >= stage.top - 1 && lane.bottom <= stage.bottom + 1,
      `lane ${name} is whole on the stage: ${JSON.stringify(lane)} in ${JSON.stringify(stage)}`);
    assert.ok(lane.width * lane.height >= stage.width * stage.height * 0.15, `lane ${name} is not a thumbnail`);
  }
  assert.ok(a.right <= b.left || a.bottom <= b.top, 'the lanes do not overlap');
}

test('a log lane and a queue lane run in lockstep and show what each keeps', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.selectOption('[data-testid=compare-select]', '10');
  await page.waitForSelector('[data-testid=canvas-b]');
  assert.match(await page.textContent('[data-testid=canvas-title]'), /^A: Events: one fact/);
  assert.match(await page.textContent('[data-testid=canvas-b-title]'), /^B: Events over queues/);
  assert.equal(await page.inputValue('[data-testid=compare-select]'), '10', 'the select names the preset lane B came from');
  await assertBothLanesInView(page);
  await scrub(page, 14_000);
  const tokensA = await page.locator('[data-testid=canvas-tokens] .token').count();
  const tokensB = await page.locator('[data-testid=canvas-b-tokens] .token').count();
  assert.ok(tokensA + tokensB > 0, 'both lanes move at the same moment');
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
  assert.deepEqual(await row(page, 'Kept for replay (records in logs)'), ['60 ✓', '0']);
  assert.equal((await row(page, 'Anomalies: duplicate effect')).length, 2, 'the anomalies line up kind by kind');
  const [producedA, producedB] = await row(page, 'Produced');
  assert.equal(producedA, producedB, 'the same workload');
  await page.screenshot({ path: screenshotPath('compare-log-vs-queue') });

  // One link reopens both lanes, at the same moment, with the same figures.
  await page.click('[data-testid=share]');
  await page.click('[data-testid=copy-link]');
  await page.waitForFunction(() => /Link copied/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  await page.keyboard.press('Escape');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  const table = await page.textContent('[data-testid=compare]');
  const fresh = await openApp(env.browser, link);
  await fresh.page.waitForSelector('[data-testid=canvas-b]');
  assert.equal(await fresh.page.textContent('[data-testid=compare]'), table);
  assert.deepEqual(fresh.problems, []);
  await fresh.context.close();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a pinned run against a changed one: the setting that differs shows in the figures', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  await page.selectOption('[data-testid=compare-select]', 'pin');
  await page.click('[data-node=group-0]', { position: { x: 40, y: 10 } });
  await page.selectOption('[data-testid=edit-strategy]', 'idempotency_key');
  await page.click('[data-node=sink-0]');
  await page.check('[data-testid=edit-accepts-key]');
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
  const [a, b] = await row(page, 'Duplicate effects');
  assert.equal(a, '0 ✓');
  // The titles say what was changed, lane by lane.
  assert.match(await page.textContent('[data-testid=canvas-title]'), /^A: .*strategy: idempotency key · email accepts idempotency key: yes$/);
  assert.match(await page.textContent('[data-testid=canvas-b-title]'), /^B: .*strategy: .* · email accepts idempotency key: no$/);
  await assertBothLanesInView(page);
  await page.screenshot({ path: screenshotPath('compare-pinned-1280x720') });
  assert.ok(Number(b) > 0, `lane B still duplicates: ${b}`);
  await page.selectOption('[data-testid=compare-select]', '');
  assert.equal(await page.locator('[data-testid=canvas-b]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('fork at a moment: lane B keeps the run, a crash injected into A from there on, both titled with it', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  await page.uncheck('[data-testid=pause-on-anomaly]');
  await scrub(page, 4_000);
  await page.selectOption('[data-testid=compare-select]', 'pin');
  await page.waitForSelector('[data-testid=canvas-b]');
  assert.match(await page.textContent('[data-testid=notice]'), /^Forked at 4\.000 s/);
  assert.equal(await page.textContent('[data-testid=clock]'), '4.000 s', 'the fork keeps the moment');
  await page.click('[data-node=consumer-0]');
  await page.click('[data-testid=inject-crash]');
  await page.waitForFunction(() => /injected$/.test(document.querySelector('[data-testid=canvas-title]')?.textContent ?? ''));
  assert.match(await page.textContent('[data-testid=canvas-title]'), /^A: crash c1 now at 4\.000 s: injected$/);
  assert.match(await page.textContent('[data-testid=canvas-b-title]'), /^B: crash c1 now at 4\.000 s: not injected$/);
  assert.equal(await page.textContent('[data-testid=clock]'), '4.000 s', 'both lanes at the fork');
  await assertBothLanesInView(page);
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
  const [crashesA, crashesB] = await row(page, 'Crashes');
  assert.ok(Number.parseInt(crashesA) > Number.parseInt(crashesB), `lane A crashed once more: ${crashesA} vs ${crashesB}`);
  await page.screenshot({ path: screenshotPath('fork-at-a-moment') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('lane B forked late in a busy run says it is catching up, and arrives at lane A\'s figures', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const group = (name) => ({
    name, topic: 't', consumers: [`${name}-1`, `${name}-2`], commit: { policy: 'after_processing' },
    handler: { sink: 's', processing: { kind: 'fixed', ms: 1 }, strategy: 'none' },
  });
  const busy = {
    version: 1, name: 'A busy run', seed: 1, until_ms: 300_000,
    producers: [{ name: 'p', message: 'M', kind: 'event', key_name: 'k', target: 't', key_choice: 'sequential',
      keys: 1_000, rate: { kind: 'fixed', interval_ms: 1 }, count: 200_000 }],
    topics: [{ name: 't', partitions: 8 }],
    groups: [group('g1'), group('g2')],
    sinks: [{ name: 's', kind: 'email' }],
  };
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'busy.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(busy)),
  });
  await page.waitForFunction(() => /Opened busy\.json/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  await page.waitForSelector('[data-testid=lookahead-progress]', { state: 'detached', timeout: 60_000 });
  await scrub(page, 150_000);
  await page.waitForSelector('[data-testid=fast-forward]', { timeout: 60_000 });
  // Lane B starts from 0 and runs a slice per frame: the table says so and ticks no side meanwhile.
  await page.selectOption('[data-testid=compare-select]', 'pin');
  // Lane B's title says so where the room looks, and the table (in the panels) too, ticking no side.
  const said = /^B is catching up with A at 150\.000 s: until it gets there, its figures are from an earlier moment\.$/;
  await page.waitForFunction((said) => new RegExp(said).test(document.querySelector('[data-testid=canvas-b-title]')?.textContent ?? ''),
    said.source, { timeout: 10_000 });
  const [status, table] = await page.evaluate(() => ['[data-testid=lane-b-catching-up]', '[data-testid=compare]']
    .map((s) => document.querySelector(s).textContent));
  assert.match(status, said);
  assert.doesNotMatch(table, /✓/);
  await page.screenshot({ path: screenshotPath('compare-lane-b-catching-up') });
  await page.waitForFunction(() => document.querySelector('[data-testid=lane-b-catching-up]').textContent === '', null, { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=canvas-b-title]'), /^B: /);
  const [producedA, producedB] = await row(page, 'Produced');
  assert.equal(producedA, producedB, 'arrived: the same moment on both sides');
  assert.deepEqual(problems, []);
  await context.close();
});
