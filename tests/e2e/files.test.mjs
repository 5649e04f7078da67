// Scenario files: export the current scenario as the CLI's JSON, open it again (also after editing it by
// hand), and a bad file says why on the page while the current run is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { useBrowser, openApp, score } from './harness.mjs';

const env = useBrowser();

test('an exported scenario opens again, edited by hand; a bad file keeps the run', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '6');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
  assert.equal(download.suggestedFilename(), 'double-charge-and-what-fixes-it.json');
  const exported = JSON.parse(await fs.readFile(await download.path(), 'utf8'));
  assert.equal(exported.version, 1);
  assert.match(exported.name, /Double charge/);

  // A trainer edits the file: another seed and name. Opening it loads exactly that.
  exported.seed = 777;
  exported.name = 'Workshop: my double charge';
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'workshop.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)),
  });
  await page.waitForSelector('[data-testid=notice]');
  assert.match(await page.textContent('[data-testid=notice]'), /Opened workshop\.json: Workshop: my double charge/);
  assert.equal(await page.inputValue('[data-testid=seed]'), '777');
  assert.match(await page.textContent('[data-testid=preset] option:checked'), /Your file: Workshop: my double charge/);
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
  const produced = await score(page, 'produced');
  assert.ok(produced > 0);

  // A file with an out-of-range field: a located message, and the run stays as it was.
  exported.groups[0].batch_size = 0;
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)),
  });
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /broken\.json is not a scenario .*groups\[0\]\.batch_size: 0 is out of range/);
  assert.equal(await page.inputValue('[data-testid=seed]'), '777');
  assert.equal(await score(page, 'produced'), produced);
  // Not JSON at all.
  await page.setInputFiles('[data-testid=import-json]', { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]) });
  await page.waitForFunction(() => /photo\.png is not a scenario/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''));
  assert.equal(await page.inputValue('[data-testid=seed]'), '777');
  assert.deepEqual(problems, []);
  await context.close();
});
