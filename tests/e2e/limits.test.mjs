// The work budget in the page: the largest scenario the validator accepts runs to its end and Restart
// works after it, within about 1.5 GiB of wasm memory (the peak is printed for docs/measurements.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openApp, score, wasmMemoryMiB } from './harness.mjs';

const env = useBrowser();

/** 2,000,000 messages for 3 groups: 6,000,000 messages × subscribers, the validator's limit. */
function largestScenario() {
  const group = (i) => ({
    name: `g${i}`, topic: 't', consumers: Array.from({ length: 8 }, (_, j) => `c${i}-${j}`),
    commit: { policy: 'after_processing' },
    handler: { sink: 's', processing: { kind: 'fixed', ms: 1 }, strategy: 'none' },
  });
  return {
    version: 1, name: 'The largest accepted scenario', seed: 1, until_ms: 3_600_000,
    producers: [{ name: 'p', message: 'M', kind: 'event', key_name: 'k', target: 't', key_choice: 'sequential',
      keys: 1_000_000, rate: { kind: 'fixed', interval_ms: 1 }, count: 2_000_000 }],
    topics: [{ name: 't', partitions: 64 }],
    groups: [0, 1, 2].map(group),
    sinks: [{ name: 's', kind: 'email' }],
    faults: { consumer_crash: 0.01, crash_points: ['after_effect'], restart_after_ms: 1000 },
  };
}

test('the largest accepted scenario runs to its end, then Restart works, under 1.5 GiB', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'largest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(largestScenario())),
  });
  await page.waitForFunction(() => /Opened largest\.json/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  let presses = 0;
  while (!(await page.textContent('[data-testid=run-status]')).startsWith('finished')) {
    assert.ok(presses < 40, 'To end » reaches the end');
    await page.click('[data-testid=fast-forward]');
    presses += 1;
  }
  assert.equal(await score(page, 'produced'), 2_000_000);
  assert.equal(await score(page, 'lost'), 0);
  const atEnd = await wasmMemoryMiB(page);
  await page.click('[data-testid=restart]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]').textContent === 'running');
  await page.click('[data-testid=fast-forward]');
  const afterRestart = await wasmMemoryMiB(page);
  console.log(`largest accepted scenario: ${presses} presses of To end; peak wasm memory ${atEnd.toFixed(0)} MiB at its end, ${afterRestart.toFixed(0)} MiB after Restart and one more press`);
  assert.ok(afterRestart < 1536, `wasm memory ${afterRestart} MiB`);
  assert.deepEqual(problems, []);
  await context.close();
});
