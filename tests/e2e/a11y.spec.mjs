// Accessibility, checked by axe-core (from the registry, run inside the page) on every view a room or a
// learner meets, in every project (1280×720 light and dark, 1920×1080, reduced motion): no serious or
// critical violation anywhere, and the picture's text (which axe leaves out) at WCAG contrast.
import path from 'node:path';
import { test, expect } from './fixtures.mjs';
import { root, scrub } from './harness.mjs';

const AXE = path.join(root, 'node_modules/axe-core/axe.min.js');

/** The serious and critical violations on the page now, one line each (rule, impact, where). */
async function violations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.slice(0, 3).map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(1, 2).join('')}`));
  });
  return found;
}

/** The views, each reached as a user reaches it from the one before. */
const VIEWS = [
  ['main, playing paused mid-run', async (page) => { await scrub(page, 6000); }],
  ['a message\'s journey in the panels', async (page) => {
    await page.click('[data-testid=canvas] .cell[data-message]');
    await expect(page.getByTestId('journey')).toBeVisible();
  }],
  ['a node\'s settings', async (page) => {
    await page.click('[data-node=group-0]', { position: { x: 40, y: 10 } });
    await expect(page.getByTestId('edit-strategy')).toBeVisible();
  }],
  ['what the model simplifies', async (page) => {
    await page.click('[data-testid=show-simplifications]');
    await expect(page.getByTestId('simplifications')).toBeVisible();
  }],
  ['an anomaly on the stage', async (page) => {
    await page.keyboard.press('Escape');
    await page.selectOption('[data-testid=preset]', '4');
    await page.click('[data-testid=scrub-mark-1]');
    await expect(page.getByTestId('focus')).toBeVisible();
  }],
  ['the keyboard help', async (page) => {
    await page.keyboard.press('Escape');
    await page.click('[data-testid=help]');
    await expect(page.getByTestId('help-dialog')).toBeVisible();
  }],
  ['a lesson step with its prediction', async (page) => {
    await page.keyboard.press('Escape');
    await page.selectOption('[data-testid=lesson-select]', '2');
    await expect(page.getByTestId('lesson')).toBeVisible();
    await page.keyboard.press('PageDown');
    await expect(page.getByTestId('predict')).toBeVisible();
  }],
  ['presenter mode', async (page) => {
    await page.click('[data-testid=presenter]');
    await expect(page.locator('.app')).toHaveClass(/presenter/);
  }],
  ['compare', async (page) => {
    await page.click('[data-testid=presenter]');
    await page.click('[data-testid=end-lesson]');
    await page.selectOption('[data-testid=preset]', '0');
    await page.selectOption('[data-testid=compare-select]', '10');
    await expect(page.getByTestId('canvas-b')).toBeVisible();
  }],
  ['more contrast', async (page) => {
    await page.click('[data-testid=help]');
    await page.check('[data-testid=more-contrast]');
    await page.keyboard.press('Escape');
    await expect(page.locator('html')).toHaveAttribute('data-contrast', 'more');
  }],
  ['the Share dialog', async (page) => {
    // Both compare lanes travel in the link, and still fit a QR code (link format 2).
    await page.click('[data-testid=share]');
    await expect(page.getByTestId('share-qr')).toBeVisible();
  }],
];

/** The picture's text that reads below WCAG's contrast against what it is drawn on (a box's fill, else the
 *  stage): axe leaves SVG text out. 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). */
async function pictureContrast(page) {
  return page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const stage = rgb(getComputedStyle(document.querySelector('[data-testid=stage]')).backgroundColor);
    const seen = new Map();
    for (const t of document.querySelectorAll('[data-testid=canvas] text')) {
      const style = getComputedStyle(t);
      if (style.display === 'none' || style.visibility === 'hidden' || t.closest('.chain-badge')) continue;
      const box = t.closest('.node')?.querySelector('rect.box');
      const under = box ? rgb(getComputedStyle(box).fill) : stage;
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const r = ratio(rgb(style.fill), under);
      const key = `${t.getAttribute('class') ?? 'text'} ${style.fill} on ${under}`;
      if (r < (large ? 3 : 4.5) && !seen.has(key)) seen.set(key, `${key}: ${r.toFixed(2)}:1 ("${t.textContent}")`);
    }
    return [...seen.values()];
  });
}

test('axe finds no serious or critical violation on any view, and the picture reads at WCAG contrast', async ({ app: page }) => {
  const report = [];
  for (const [view, reach] of VIEWS) {
    await test.step(view, async () => {
      await reach(page);
      for (const line of await violations(page)) report.push(`${view}: ${line}`);
      for (const line of await pictureContrast(page)) report.push(`${view}: picture contrast: ${line}`);
    });
  }
  // Embedded in a slide deck: controls and the picture only.
  await page.goto('./?embed=1');
  await expect(page.getByTestId('embed')).toBeVisible();
  for (const line of await violations(page)) report.push(`embed: ${line}`);
  // An embed without its controls, in the theme its snippet asked for.
  await page.goto('./?embed=1&controls=0&theme=dark');
  await expect(page.getByTestId('open-full-app')).toBeVisible();
  for (const line of await violations(page)) report.push(`embed without controls: ${line}`);
  expect(report).toEqual([]);
});
