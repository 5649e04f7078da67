// Scenario files: export the current scenario as the CLI's JSON, open it again (also after editing it by
// hand), and a bad file says why on the page while the current run is kept.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { useBrowser, openApp, score, scrub } from './harness.mjs';

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

test('the canvas exports as a standalone SVG and a double-size PNG for slides', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-svg]')]);
  assert.match(svgDownload.suggestedFilename(), /^duplicate-welcome-email-at-\d+ms\.svg$/);
  const svg = await fs.readFile(await svgDownload.path(), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<style[^>]*>[^<]*\.canvas \.node/, 'its styles travel with it');
  assert.match(svg, /user-service/);
  assert.match(svg, /CRASH|crashed|duplicates/);
  // The file opens on its own: render it in a fresh page and find the drawing.
  const viewer = await context.newPage();
  await viewer.setContent(svg);
  assert.ok(await viewer.locator('svg .node').count() >= 4);
  await viewer.close();

  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-png]')]);
  assert.match(pngDownload.suggestedFilename(), /\.png$/);
  const png = await fs.readFile(await pngDownload.path());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = png.readUInt32BE(16);
  const viewBoxWidth = Number((await page.getAttribute('[data-testid=canvas]', 'viewBox')).split(' ')[2]);
  assert.equal(width, viewBoxWidth * 2, 'twice the size, sharp on a projector');
  assert.ok(png.length > 10_000, 'a drawing, not a blank image');
  await fs.mkdir(new URL('./artifacts/', import.meta.url), { recursive: true });
  await fs.writeFile(new URL('./artifacts/exported-canvas.png', import.meta.url), png);

  // Mid-run, the messages in flight are in the picture too (they are drawn in a layer of their own).
  await scrub(page, 2_500);
  const onScreen = await page.locator('[data-testid=tokens] .token').count();
  assert.ok(onScreen > 0, 'messages are moving at 2.5 s');
  const [midDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-svg]')]);
  const mid = await fs.readFile(await midDownload.path(), 'utf8');
  assert.equal((mid.match(/<g class="token"/g) ?? []).length, onScreen);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a name holding U+202E is shown isolated: it reverses itself, never the rest of the sentence', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4'); // the duplicate welcome email: anomalies name the group
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
  const scenario = JSON.parse(await fs.readFile(await download.path(), 'utf8'));
  const name = 'notif\u202Esnoitaci'; // drawn "notifications": the override reverses its own tail
  scenario.groups[0].name = name;
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'bidi.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(scenario)),
  });
  await page.waitForSelector('[data-testid=notice]');
  await page.click('[data-testid=fast-forward]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
  if ((await page.getAttribute('[data-testid=panels-toggle]', 'aria-expanded')) !== 'true') await page.click('[data-testid=panels-toggle]');
  await page.waitForSelector('[data-testid=anomalies] li');
  const said = await page.locator('[data-testid=anomalies] li').allTextContents();
  const quoting = said.filter((s) => s.includes(name));
  assert.ok(quoting.length > 0, `an anomaly names the group: ${said.slice(0, 2)}`);
  for (const s of quoting) assert.ok(s.includes(`\u2068${name}\u2069`), `quoted as an isolate: ${JSON.stringify(s)}`);
  // As drawn: the two characters after the name still run left to right (an override left open would
  // draw the rest of the sentence right to left, its first character last).
  const order = await page.evaluate((name) => {
    const walker = document.createTreeWalker(document.querySelector('[data-testid=anomalies]'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const found = node.data.indexOf(name);
      if (found < 0) continue;
      let after = found + name.length;
      if (node.data[after] === '\u2069') after += 1;
      const left = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect().left; };
      return [left(after), left(after + 1)];
    }
    return null;
  }, name);
  assert.ok(order && order[1] > order[0], `the sentence goes on left to right after the name: ${order}`);
  await page.locator('[data-testid=anomalies] li', { hasText: name }).first().screenshot({ path: new URL('./artifacts/bidi-name.png', import.meta.url).pathname });
  assert.deepEqual(problems, []);
  await context.close();
});
