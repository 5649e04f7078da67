// Frame-time benchmark (numbers, not pass/fail): the built app in headless Chromium, playing a scenario
// that keeps about 500, 1,000 and 2,000 tokens in flight (at most 500 are drawn: tokens::thin); prints
// the p50 / p95 interval between animation frames, the tokens actually on the canvas, and the time from
// navigation to the first drawn canvas.
// Run by `./dev bench` (after a release build); FRAMES_SECONDS changes the measuring time per load.
import { startServer, launch } from '../tests/e2e/harness.mjs';

/** `producers` producers, each sending a command every `interval_ms` into one queue whose workers hold
 * each message for `hold_ms`. Each message is drawn three times as it travels (sent, delivered, applied),
 * each hop for 240 ms, so about 720 tokens per message per millisecond are in flight. */
export function floodScenario(producers, interval_ms = 1, hold_ms = 150) {
  return {
    version: 1,
    name: `Frame benchmark: ${producers} producers every ${interval_ms} ms`,
    story: 'Many messages in flight at once, to measure how smoothly the canvas animates.',
    seed: 1,
    until_ms: 600000,
    producers: Array.from({ length: producers }, (_, i) => ({
      name: `p${i + 1}`, message: 'Job', kind: 'command', key_name: 'job', target: 'jobs',
      keys: 1000000, rate: { kind: 'fixed', interval_ms }, count: 600000,
    })),
    queues: [{
      name: 'jobs', kind: 'standard', visibility_timeout_ms: 60000, max_receives: 4,
      consumers: ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'], concurrency: 64,
      handler: { sink: 'email', processing: { kind: 'fixed', ms: hold_ms }, strategy: 'none' },
    }],
    // No faults, one email per message, a million keys (competing consumers reorder a key's messages):
    // hardly any anomalies, so the moving picture is what is measured.
    sinks: [{ name: 'email', kind: 'email' }],
  };
}

/** Opens `scenario` as a file in `page` and waits for its run to be on screen. */
export async function openScenario(page, scenario) {
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'bench.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(scenario)),
  });
  await page.waitForFunction((name) => document.querySelector('[data-testid=preset] option:checked')?.textContent.includes(name), scenario.name);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Plays for `seconds` and returns the frame intervals (ms) and the mean number of tokens drawn. */
async function measure(page, seconds) {
  await page.click('[data-testid=play]');
  await page.waitForTimeout(1000); // the first hop fills the edges
  return page.evaluate((seconds) => new Promise((resolve) => {
    const intervals = [];
    const counts = [];
    let last = null;
    const end = performance.now() + seconds * 1000;
    const frame = (t) => {
      if (last !== null) intervals.push(t - last);
      last = t;
      if (intervals.length % 10 === 0) counts.push(document.querySelectorAll('[data-testid=tokens] > g').length);
      if (t < end) requestAnimationFrame(frame);
      else resolve({ intervals, tokens: counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length) });
    };
    requestAnimationFrame(frame);
  }), seconds);
}

async function main() {
  const seconds = Number(process.env.FRAMES_SECONDS || 5);
  const { server, url } = await startServer();
  const browser = await launch();
  try {
    // Time to the first canvas: a fresh context each time (no cache, no service worker), median of five.
    // Timed inside the page (polling from here would add its own latency): the first animation frame
    // after the canvas's nodes are in the document, i.e. the frame that paints them.
    const firsts = [];
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, serviceWorkers: 'block' });
      await context.addInitScript(() => {
        const seen = new MutationObserver(() => {
          if (!document.querySelector('[data-testid=canvas] .node')) return;
          seen.disconnect();
          requestAnimationFrame(() => { window.__firstCanvasMs = performance.now(); });
        });
        seen.observe(document, { subtree: true, childList: true });
      });
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => window.__firstCanvasMs !== undefined);
      firsts.push(await page.evaluate(() => window.__firstCanvasMs));
      await context.close();
    }
    firsts.sort((a, b) => a - b);
    console.log(`frames first-canvas: median ${firsts[2].toFixed(0)} ms from navigation (of ${firsts.map((f) => f.toFixed(0)).join(', ')})`);

    // About 500, 1,000 and 2,000 tokens in flight (the canvas draws at most 500 of them: past 500 this
    // measures the sample's cost, not more tokens').
    for (const [producers, interval_ms] of [[2, 3], [4, 3], [3, 1]]) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector('[data-testid=canvas] .node');
      await openScenario(page, floodScenario(producers, interval_ms));
      const { intervals, tokens } = await measure(page, seconds);
      intervals.sort((a, b) => a - b);
      console.log(
        `frames tokens ${tokens.toFixed(0)}: p50 ${percentile(intervals, 50).toFixed(1)} ms, p95 ${percentile(intervals, 95).toFixed(1)} ms, ` +
          `max ${intervals[intervals.length - 1].toFixed(1)} ms over ${intervals.length} frames (${producers} producers, one message each every ${interval_ms} ms)`,
      );
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
