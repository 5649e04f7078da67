import { test } from '@playwright/test';
import { useBrowser, openApp } from './harness.mjs';
test.use({ trace: 'off' });
const env = useBrowser();
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
test('probe', async () => {
  test.setTimeout(400_000);
  const { page, context } = await openApp(env.browser, env.srv.url);
  await page.uncheck('[data-testid=pause-on-anomaly]');
  await page.setInputFiles('[data-testid=import-json]', { name: 'largest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(largestScenario())) });
  await page.waitForFunction(() => /Opened largest\.json/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  await page.waitForSelector('[data-testid=lookahead-progress]', { state: 'detached', timeout: 300_000 });
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => [Math.round(e.startTime), Math.round(e.duration)])))
      .observe({ type: 'longtask' });
  });
  const client = await page.context().newCDPSession(page);
  await client.send('Emulation.setCPUThrottlingRate', { rate: Number(process.env.THROTTLE || 1) });
  await page.click('[data-testid=fast-forward]');
  await page.waitForTimeout(3000);
  await client.send('Profiler.enable');
  await client.send('Profiler.setSamplingInterval', { interval: 200 });
  await client.send('Profiler.start');
  const took = await page.evaluate(async () => {
    const out = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now(); document.querySelector('[data-testid=cancel-to-end]').click();
      const t1 = performance.now();
      while (!document.querySelector('[data-testid=fast-forward]')) await new Promise((r) => setTimeout(r, 1));
      out.push([Math.round(t1 - t0), Math.round(performance.now() - t0)]);
      await new Promise((r) => setTimeout(r, 300));
      document.querySelector('[data-testid=fast-forward]').click();
      await new Promise((r) => setTimeout(r, 700));
    }
    return JSON.stringify(out); });
  const { profile } = await client.send('Profiler.stop');
  console.log('CANCEL', took);
  const lt = await page.evaluate(() => window.__longTasks);
  console.log(JSON.stringify(lt));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(); for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = profile.timeDeltas; const spent = {};
  profile.samples.forEach((id, i) => { spent[id] = (spent[id] || 0) + (dt[i] || 0); });
  const self = {}; const total = {};
  const name = (n) => n.callFrame.functionName || '(anon)';
  for (const [id, us] of Object.entries(spent)) {
    let n = byId.get(Number(id)); self[name(n)] = (self[name(n)] || 0) + us / 1000;
    const seen = new Set(); let cur = Number(id);
    while (cur !== undefined) { const k = name(byId.get(cur)); if (!seen.has(k)) { seen.add(k); total[k] = (total[k] || 0) + us / 1000; } cur = parent.get(cur); }
  }
  console.log('SELF\n' + Object.entries(self).sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${v.toFixed(0).padStart(6)} ${k.slice(0, 150)}`).join('\n'));
  console.log('TOTAL\n' + Object.entries(total).sort((a, b) => b[1] - a[1]).slice(0, 200).map(([k, v]) => `${v.toFixed(0).padStart(6)} ${k.slice(0, 150)}`).join('\n'));
  await context.close();
});
