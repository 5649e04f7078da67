// The stage at the sizes the app is used at: a projector (1280×720), a laptop (1440×900) and a large
// screen (1920×1080), light and dark. Every preset, mid-run: the picture gets at least two thirds of the
// window, its smallest text renders at 14 px or more and its node titles at 18 or more (font size × the
// picture's scale), nothing overflows the page or its box, no token's label covers any text, and the
// controls keep to two rows.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, scrub, screenshotPath } from './harness.mjs';

const env = useBrowser();

/** What is wrong with the stage on screen now (empty when nothing is). */
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const { innerWidth, innerHeight } = window;
    const root = document.documentElement;
    if (root.scrollWidth > innerWidth) problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${innerWidth} px`);
    if (root.scrollHeight > innerHeight) problems.push(`the page scrolls down: ${root.scrollHeight} > ${innerHeight} px`);
    const controls = document.querySelector('.controls').getBoundingClientRect();
    if (controls.height > 90) problems.push(`the controls take ${Math.round(controls.height)} px (more than two rows)`);
    const stage = document.querySelector('[data-testid=stage]').getBoundingClientRect();
    const share = (stage.width * stage.height) / (innerWidth * innerHeight);
    if (share < 2 / 3) problems.push(`the picture's stage covers ${Math.round(share * 100)} % of the window`);
    const svg = document.querySelector('[data-testid=canvas]');
    const picture = svg.getBoundingClientRect();
    if (picture.width < stage.width * 0.95 && picture.height < stage.height * 0.95) {
      problems.push(`the picture (${Math.round(picture.width)}×${Math.round(picture.height)}) fills neither the stage's width nor its height`);
    }
    const scale = svg.getScreenCTM().a;
    for (const text of document.querySelectorAll('[data-testid=canvas] text, [data-testid=canvas-tokens] text')) {
      const px = parseFloat(getComputedStyle(text).fontSize) * scale;
      if (px < 13.95) problems.push(`"${text.textContent}" renders at ${px.toFixed(1)} px`);
      if (text.classList.contains('title') && px < 17.95) problems.push(`the title "${text.textContent}" renders at ${px.toFixed(1)} px`);
    }
    // No token's label covers the picture's text or another label (screen boxes: the two layers align).
    const boxes = (selector) => [...document.querySelectorAll(selector)].map((el) => ({ text: el.textContent, r: el.getBoundingClientRect() }));
    const words = boxes('[data-testid=canvas] text:not(.column-title)');
    const labels = boxes('[data-testid=canvas-tokens] text');
    const cross = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    labels.forEach((label, i) => {
      for (const other of [...words, ...labels.slice(i + 1)]) {
        if (cross(label.r, other.r)) problems.push(`the token label "${label.text}" covers "${other.text}"`);
      }
    });
    // Nor does any of the picture's own text cover another.
    words.forEach((word, i) => {
      for (const other of words.slice(i + 1)) {
        if (cross(word.r, other.r)) problems.push(`"${word.text}" covers "${other.text}"`);
      }
    });
    for (const node of document.querySelectorAll('[data-testid=canvas] .node')) {
      const box = node.querySelector('rect.box').getBBox();
      for (const text of node.querySelectorAll(':scope > text')) {
        const t = text.getBBox();
        if (t.x + t.width > box.x + box.width + 0.5 || t.y + t.height > box.y + box.height + 0.5) {
          problems.push(`"${text.textContent}" overflows its box (${node.dataset.node})`);
        }
      }
    }
    return problems;
  });
}

for (const [width, height] of [[1280, 720], [1440, 900], [1920, 1080]]) {
  for (const colorScheme of ['light', 'dark']) {
    test(`at ${width}×${height} (${colorScheme}) the picture fills the stage, legibly, for every preset`, async () => {
      const { page, context, problems } = await openApp(env.browser, env.srv.url, { viewport: { width, height }, colorScheme });
      const presets = await page.$$eval('[data-testid=preset] option', (options) => options.map((o) => o.value).filter((v) => v !== ''));
      assert.ok(presets.length >= 10);
      for (const preset of presets) {
        await page.selectOption('[data-testid=preset]', preset);
        await scrub(page, 4_000);
        assert.deepEqual(await layoutProblems(page), [], `preset ${Number(preset) + 1}`);
        if (width === 1280 && preset === presets[0]) {
          // The first scenario's four groups are drawn compact, so the room sees all of them, the group that
          // joins late among them, without panning.
          const [picture, stage] = await page.evaluate(() => [
            document.querySelector('[data-testid=canvas]').getBoundingClientRect().height,
            document.querySelector('[data-testid=stage]').clientHeight,
          ]);
          assert.ok(picture <= stage + 0.5, `the first scenario's picture is ${picture} px tall on a ${stage} px stage`);
        }
        if (width === 1280) {
          // And at the end of the run, where losses are final.
          await page.click('[data-testid=fast-forward]');
          await page.waitForFunction(() => document.querySelector('[data-testid=figure-status]').textContent.includes('final'));
          assert.deepEqual(await layoutProblems(page), [], `preset ${Number(preset) + 1} at its end`);
          await scrub(page, 4_000);
        }
        if (width !== 1440) {
          await page.screenshot({ path: screenshotPath(`stage-${width}x${height}-${colorScheme}-preset-${String(Number(preset) + 1).padStart(2, '0')}`) });
        }
      }
      await page.screenshot({ path: screenshotPath(`layout-${width}x${height}-${colorScheme}`) });
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}

test('the panels open on demand and by themselves when something is selected, and give the stage back', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const stageWidth = () => page.$eval('[data-testid=stage]', (el) => el.getBoundingClientRect().width);
  assert.ok(await page.isHidden('[data-testid=drawer]'), 'closed at 1280×720');
  const wide = await stageWidth();
  await page.click('[data-testid=panels-toggle]');
  assert.ok(await page.isVisible('[data-testid=scoreboard]'));
  assert.ok((await stageWidth()) < wide, 'the stage makes room');
  await page.click('[data-testid=panels-toggle]');
  assert.ok(await page.isHidden('[data-testid=drawer]'));
  await page.click('[data-testid=canvas] [data-node=consumer-0]');
  assert.ok(await page.isVisible('[data-testid=handler-code]'), 'selecting a consumer shows its details');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the story shows one line, and all of it on More', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const lines = () => page.$eval('[data-testid=story]', (p) => Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)));
  assert.equal(await lines(), 1);
  await page.click('[data-testid=story-toggle]');
  assert.ok((await lines()) > 1, 'the whole story');
  assert.equal(await page.getAttribute('[data-testid=story-toggle]', 'aria-expanded'), 'true');
  await page.click('[data-testid=story-toggle]');
  assert.equal(await lines(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});
