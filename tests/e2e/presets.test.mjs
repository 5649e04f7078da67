// Every shipped preset, played to the end with its own seed, shows the anomaly its story promises —
// on the scoreboard and in the engine's explanations.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, score, screenshotPath } from './harness.mjs';

const EXPECT = [
  { n: 1, check: (s) => s.duplicates >= 1, text: /applied twice/ },
  { n: 2, check: (s) => s['dead-lettered'] >= 1 && s.duplicates >= 1, text: /dead-letter queue/ },
  { n: 3, check: (s) => s.lost >= 1 && s.duplicates === 0, text: /deleted by the topic's retention/ },
  { n: 4, check: (s) => s['stale-reads'] >= 1, text: /read it back/ },
  { n: 5, check: (s) => s.duplicates >= 1 && s.lost === 0, text: /crashed after the side effect, before committing/ },
  { n: 6, check: (s) => s.duplicates >= 1, text: /check_then_act' does not guard this/ },
  { n: 7, check: (s) => s.duplicates >= 1, text: /idempotency_key' would|inbox row commits/ },
  { n: 8, check: (s) => s.appended > s.produced && s.duplicates >= 1, text: /idempotent producer/ },
  { n: 9, check: (s) => s.lost >= 1 && s.duplicates === 0, text: /at-most-once/ },
  { n: 10, check: (s) => s.duplicates >= 1, text: /reset to replay history/ },
  { n: 11, check: (s) => s.duplicates >= 1 && s.lost === 0 && s.appended === s.produced, text: /standard queue delivered a second copy/ },
  { n: 12, check: (s) => s.duplicates >= 1 && s.lost === 0, text: /outside the transaction/ },
];
const IDS = ['produced', 'appended', 'delivered', 'processed', 'duplicates', 'lost', 'dead-lettered', 'stale-reads'];

const env = useBrowser();

for (const { n, check, text } of EXPECT) {
  test(`preset ${n} shows what its story promises`, async () => {
    const { page, context, problems } = await openApp(env.browser, env.srv.url);
    await page.selectOption('[data-testid=preset]', String(n - 1));
    await page.click('[data-testid=fast-forward]');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent.startsWith('finished'));
    const s = {};
    for (const id of IDS) s[id] = await score(page, id);
    assert.ok(check(s), `preset ${n}: scoreboard ${JSON.stringify(s)}`);
    const explanations = await page.$$eval('[data-testid=anomalies] .explanation', (els) => els.map((e) => e.textContent));
    assert.ok(explanations.some((e) => text.test(e)), `preset ${n}: no explanation matches ${text}`);
    await page.screenshot({ path: screenshotPath(`preset-${String(n).padStart(2, '0')}`), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });
}
