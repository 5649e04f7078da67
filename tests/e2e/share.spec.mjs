// Share with the room: the Share dialog's link, its QR code (read back by jsQR, the decoder phones' apps
// are built like, from the registry), and the embed snippet with its options, opened as a slide would.
import path from 'node:path';
import { test, expect } from './fixtures.mjs';
import { root, scrub, screenshotPath } from './harness.mjs';

const JSQR = path.join(root, 'node_modules/jsqr/dist/jsQR.js');

/** The text the QR code on the page encodes, read from its pixels at 4 px a module. */
async function readQr(page) {
  await page.addScriptTag({ path: JSQR });
  return page.evaluate(async () => {
    const svg = document.querySelector('[data-testid=share-qr]');
    const side = svg.viewBox.baseVal.width * 4;
    const image = new Image();
    image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0, side, side);
    const pixels = context.getImageData(0, 0, side, side);
    return window.jsQR(pixels.data, side, side)?.data ?? null;
  });
}

test('the Share dialog gives the link, a QR code that opens it, and an embed that plays', async ({ app: page }, info) => {
  await page.selectOption('[data-testid=preset]', '4');
  await page.selectOption('[data-testid=speed]', '5');
  await scrub(page, 7000);
  const name = (await page.locator('#preset option:checked').textContent()).replace(/^\d+\. /, '');
  await page.click('[data-testid=share]');
  const dialog = page.getByTestId('share-dialog');
  await expect(dialog).toBeVisible();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toMatch(/\/#v2\.[A-Za-z0-9_-]+$/);
  expect(link).not.toContain('embed');

  // The QR code holds exactly the link, and fits the window whole.
  expect(await readQr(page)).toBe(link);
  const qr = await page.getByTestId('share-qr').boundingBox();
  const viewport = page.viewportSize();
  expect(qr.y + qr.height).toBeLessThanOrEqual(viewport.height);
  expect(qr.height).toBeGreaterThanOrEqual(Math.min(360, viewport.height - 240));
  await page.screenshot({ path: screenshotPath(`share-dialog-${info.project.name}`) });

  // The embed: at the run's speed unless chosen; here from the start, playing, dark, without controls.
  await expect(page.getByTestId('embed-speed')).toHaveValue('5');
  await page.uncheck('[data-testid=embed-here]');
  await page.check('[data-testid=embed-autoplay]');
  await page.uncheck('[data-testid=embed-controls]');
  await page.selectOption('[data-testid=embed-theme]', 'dark');
  await page.selectOption('[data-testid=embed-speed]', '2');
  const snippet = await page.getByTestId('embed-snippet').inputValue();
  expect(snippet).toMatch(/^<iframe src="[^"]+" title="Brokerscope: [^"]+" width="960" height="600"/);
  const src = snippet.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
  expect(src).toContain('?embed=1&autoplay=1&theme=dark&controls=0#v2.');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await page.goto(src);
  await expect(page.getByTestId('embed')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('play')).toHaveCount(0);
  if (info.project.name !== 'reduced-motion') {
    // It plays by itself, from the start (the canvas's clock is the scrubber's, here hidden: the tokens move).
    const moved = async () => page.locator('[data-testid=canvas] [data-message]').count();
    await expect.poll(moved, { timeout: 10_000 }).toBeGreaterThan(0);
  }
  await page.screenshot({ path: screenshotPath(`share-embed-${info.project.name}`) });

  // "Open in the full app": the same run in a tab of its own, without the embed's options.
  const [full] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('open-full-app').click()]);
  await expect(full.getByTestId('canvas')).toBeVisible();
  expect(full.url()).toMatch(/\/#v2\./);
  expect(full.url()).not.toContain('embed');
  expect(await full.locator('#preset option:checked').textContent()).toContain(name);
  await full.close();
});
