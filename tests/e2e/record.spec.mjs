// The animated export: the picture recorded while the run plays, saved as a WebM video that a browser
// plays (for slides and chat).
import fs from 'node:fs';
import { test, expect } from './fixtures.mjs';

test('Record saves what the picture showed as a WebM video that plays', async ({ app: page }) => {
  await page.selectOption('[data-testid=preset]', '4');
  await page.click('[data-testid=record]');
  await expect(page.getByTestId('record')).toHaveAttribute('aria-pressed', 'true');
  await page.click('[data-testid=play]');
  await page.waitForTimeout(2_000);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=record]')]);
  await expect(page.getByTestId('record')).toHaveAttribute('aria-pressed', 'false');
  expect(download.suggestedFilename()).toMatch(/^duplicate-welcome-email-from-\d+ms\.webm$/);
  const bytes = fs.readFileSync(await download.path());
  expect(bytes.subarray(0, 4).toString('hex'), 'a WebM (EBML) file').toBe('1a45dfa3');
  expect(bytes.length).toBeGreaterThan(5_000);
  // A browser decodes it: its first frame has the picture's size.
  const size = await page.evaluate(async (base64) => {
    const blob = await (await fetch(`data:video/webm;base64,${base64}`)).blob();
    const video = document.createElement('video');
    video.muted = true;
    video.src = URL.createObjectURL(blob);
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error(`not playable: ${video.error?.message}`));
    });
    // And it shows the picture: half a second in, the boxes' and the text's colours, not a blank.
    const seeked = new Promise((resolve) => { video.onseeked = resolve; });
    video.currentTime = 0.5;
    await seeked;
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [video.videoWidth, video.videoHeight];
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    for (let i = 0; i < pixels.length; i += 4 * 97) colours.add((pixels[i] >> 4) * 256 + (pixels[i + 1] >> 4) * 16 + (pixels[i + 2] >> 4));
    return [video.videoWidth, video.videoHeight, colours.size];
  }, bytes.toString('base64'));
  expect(size[0]).toBeGreaterThan(400);
  expect(size[1]).toBeGreaterThan(150);
  expect(size[2], 'colours half a second in').toBeGreaterThan(8);
});
