// Layout at the sizes the app is used at: a projector (1280×720) and a laptop (1440×900), light and dark.
// Every preset, mid-run: nothing overflows the page sideways, the controls keep to two rows, the canvas
// starts within the first screen, and every line of text on a node stays inside its box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, scrub, screenshotPath } from './harness.mjs';

const env = useBrowser();

/** What is wrong with the layout on screen now (empty when nothing is). */
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const { innerWidth, innerHeight } = window;
    if (document.documentElement.scrollWidth > innerWidth) {
      problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${innerWidth} px`);
    }
    const controls = document.querySelector('.controls').getBoundingClientRect();
    if (controls.height > 110) problems.push(`the controls take ${Math.round(controls.height)} px (more than two rows)`);
    const canvas = document.querySelector('[data-testid=canvas]').getBoundingClientRect();
    if (canvas.top > innerHeight * 0.4) problems.push(`the canvas starts at ${Math.round(canvas.top)} px, below the first screen's top 40 %`);
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

for (const [width, height] of [[1280, 720], [1440, 900]]) {
  for (const colorScheme of ['light', 'dark']) {
    test(`at ${width}×${height} (${colorScheme}) nothing overflows or overlaps, for every preset`, async () => {
      const { page, context, problems } = await openApp(env.browser, env.srv.url, { viewport: { width, height }, colorScheme });
      const presets = await page.$$eval('[data-testid=preset] option', (options) => options.map((o) => o.value).filter((v) => v !== ''));
      assert.ok(presets.length >= 10);
      for (const preset of presets) {
        await page.selectOption('[data-testid=preset]', preset);
        await scrub(page, 4_000);
        assert.deepEqual(await layoutProblems(page), [], `preset ${Number(preset) + 1}`);
      }
      await page.screenshot({ path: screenshotPath(`layout-${width}x${height}-${colorScheme}`) });
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}

test('the story shows two lines, and all of it on More', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const lines = () => page.$eval('[data-testid=story]', (p) => Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)));
  assert.equal(await lines(), 2);
  await page.click('[data-testid=story-toggle]');
  assert.ok((await lines()) > 2, 'the whole story');
  assert.equal(await page.getAttribute('[data-testid=story-toggle]', 'aria-expanded'), 'true');
  await page.click('[data-testid=story-toggle]');
  assert.equal(await lines(), 2);
  assert.deepEqual(problems, []);
  await context.close();
});
