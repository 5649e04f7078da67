// Share links: a link opens the same run at the same moment in a fresh browser; a corpus of damaged,
// edited, future and huge links each says why on the page and shows the default scenario, with no panic
// and no console error; the user's saved work survives a bad link.
import { test } from '@playwright/test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, openApp, root, screenshotPath, scrub } from './harness.mjs';

const env = useBrowser();


/** Everything a learner compares with the trainer's screen. */
async function snapshot(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent ?? null;
    const scores = {};
    for (const dd of document.querySelectorAll('[data-testid^=score-]')) scores[dd.dataset.testid] = dd.textContent;
    return {
      scores,
      trace: text('[data-testid=trace-hash]'),
      clock: text('[data-testid=clock]'),
      seed: document.querySelector('[data-testid=seed]').value,
      speed: document.querySelector('[data-testid=speed]').value,
      preset: text('[data-testid=preset] option:checked'),
      anomalies: text('[data-testid=anomalies]'),
    };
  });
}

const SAVED_WORK_KEY = 'brokerscope.last-work';

test('a copied link opens the same run, at the same moment, in a fresh browser', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.selectOption('[data-testid=preset]', '5');
  await page.fill('[data-testid=seed]', '4242');
  await page.dispatchEvent('[data-testid=seed]', 'change');
  await page.selectOption('[data-testid=speed]', '5');
  await scrub(page, 9_000);
  for (let i = 0; i < 5; i++) await page.click('[data-testid=step]');
  await page.click('[data-testid=share]');
  await page.click('[data-testid=copy-link]');
  await page.waitForFunction(() => /Link copied/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  await page.keyboard.press('Escape');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url(), 'the address bar holds the copied link');
  assert.ok(link.startsWith(env.srv.url + '#v2.'), link);
  assert.ok(link.length < 1_500, `${link.length} characters`);
  const made = await snapshot(page);
  assert.equal(made.seed, '4242');
  assert.ok(Number(made.scores['score-delivered']) > 0, 'a moment in the middle of the run');

  const fresh = await openApp(env.browser, link);
  await fresh.page.waitForFunction((t) => document.querySelector('[data-testid=trace-hash]').textContent === t, made.trace);
  const opened = await snapshot(fresh.page);
  assert.match(opened.preset, /^Shared link: /);
  assert.deepEqual({ ...opened, preset: null }, { ...made, preset: null });
  assert.match(await fresh.page.textContent('[data-testid=notice]'), /Opened a shared link/);
  assert.deepEqual(fresh.problems, []);
  await fresh.context.close();
  assert.deepEqual(problems, []);
  await context.close();
});

// ---- The corpus of bad links ----------------------------------------------------------------------------

/** A deterministic generator (xorshift32), so the corpus is the same on every run. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An LZ4 block holding `bytes` as literals only (valid LZ4: one sequence with no match). */
function lz4Literals(bytes) {
  const head = [Math.min(bytes.length, 15) << 4];
  if (bytes.length >= 15) {
    let rest = bytes.length - 15;
    for (; rest >= 255; rest -= 255) head.push(255);
    head.push(rest);
  }
  return Buffer.concat([Buffer.from(head), bytes]);
}

/** A checksummed v1 link (CRC-32 ‖ length ‖ LZ4 block) around any bytes: intact as a link, bad inside. */
function forge(json, { raw, length } = {}) {
  const bytes = raw ?? Buffer.from(json);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(length ?? bytes.length);
  const body = Buffer.concat([len, lz4Literals(bytes)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return 'v1.' + Buffer.concat([crc, body]).toString('base64url');
}


/** [kind, fragment, what the message must say]; `scenario` is the run inside `valid`, as JSON. */
function corpus(valid, scenario) {
  const data = valid.slice(3);
  const out = [];
  const next = rng(20261123);
  for (let i = 0; i < 70; i++) {
    const end = Math.floor((valid.length * (i + 1)) / 71);
    out.push(['truncated', valid.slice(0, end), /damaged|not a Brokerscope link/]);
  }
  for (let i = 0; i < 70; i++) {
    const at = 3 + Math.floor(next() * data.length);
    const chars = [...valid];
    let c;
    do c = ALPHABET[Math.floor(next() * 64)]; while (c === chars[at]);
    chars[at] = c;
    out.push(['character changed', chars.join(''), /damaged/]);
  }
  for (let i = 0; i < 20; i++) {
    const bytes = Buffer.from(data, 'base64url');
    const bit = Math.floor(next() * bytes.length * 8);
    bytes[bit >> 3] ^= 1 << (bit & 7);
    out.push(['bit flipped', 'v1.' + bytes.toString('base64url'), /damaged/]);
  }
  for (const v of ['v3', 'v17', 'v999', 'v123456789']) out.push(['future version', `${v}.${data}`, /newer Brokerscope/]);
  for (const v of ['v0', 'V1', 'v', '1', 'v-1', 'v1e3', 'v1x', 'v01234567890', 'version1']) {
    out.push(['wrong version', `${v}.${data}`, /not a Brokerscope link|damaged/]);
  }
  out.push(['huge', 'v1.' + 'A'.repeat(300_000), /at most 256 KB/]);
  out.push(['huge', valid + 'A'.repeat(270_000), /at most 256 KB/]);
  out.push(['zip bomb', forge('{}', { length: 4 << 20 }), /unpacks to more than 1024 KB/]);
  out.push(['lying length', forge('{"scenario": {}}', { length: 5 }), /damaged \(it does not unpack\)/]);
  const edited = (edit) => {
    const copy = structuredClone(scenario);
    edit(copy);
    return forge(JSON.stringify(copy));
  };
  out.push(['edited', edited((r) => { r.scenario.groups[0].batch_size = 0; }), /scenario\.groups\[0\]\.batch_size: 0 is out of range/]);
  out.push(['edited', edited((r) => { r.scenario.version = 2; }), /version 2 is not supported/]);
  out.push(['edited', edited((r) => { r.scenario.partitons = 3; }), /unknown field/]);
  out.push(['edited', edited((r) => { r.view.speed = -3; }), /view\.speed/]);
  out.push(['edited', edited((r) => { r.scenario.producers[0].count = 1e12; }), /producers\[0\]\.count/]);
  out.push(['edited', edited((r) => { r.scenario.until_ms = -1; }), /until_ms/]);
  out.push(['edited', edited((r) => { delete r.scenario; }), /missing field `scenario`/]);
  out.push(['edited', forge('[1,2,3]'), /JSON object/]);
  out.push(['edited', forge('{"scenario":'), /cannot run/]);
  out.push(['edited', forge(null, { raw: Buffer.from([0xff, 0xfe, 0x00, 0x7b]) }), /damaged \(not text\)/]);
  for (let i = 0; i < 20; i++) {
    const n = 1 + Math.floor(next() * 200);
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(32 + Math.floor(next() * 95));
    out.push(['garbage', encodeURIComponent(s), /not a Brokerscope link|damaged/]);
  }
  for (const s of ['%', '%E0%A4%A', '😀', 'v1.😀', 'v1.%00%00', 'v1.====', 'v1.' + 'AAAA'.repeat(3), 'v1.' + data + '%20']) {
    out.push(['odd text', s, /not a Brokerscope link|damaged/]);
  }
  return out;
}

test('200+ damaged, edited, future and huge links each say why, show the default and never panic', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  const defaultPreset = await page.textContent('[data-testid=preset] option:checked');
  // A valid link to a preset other than the default: a failure must not leave its scenario on screen.
  await page.selectOption('[data-testid=preset]', '6');
  await scrub(page, 5_000);
  const valid = await page.evaluate(() => {
    return new Promise((resolve) => {
      const poll = () => (location.hash.length > 10 ? resolve(location.hash.slice(1)) : setTimeout(poll, 50));
      poll();
    });
  });
  const scenario = {
    scenario: JSON.parse(fs.readFileSync(path.join(root, 'scenarios/07-double-charge.json'), 'utf8')),
    view: { at_ms: 5000, speed: 1 },
  };
  const links = corpus(valid, scenario);
  assert.ok(links.length >= 200, `${links.length} links`);

  // Each link opened the way a learner opens it: a fresh page load of the address. Two pages at a time
  // (each is mostly one renderer thread) halve the wall time on two cores.
  const failures = [];
  const second = await openApp(env.browser, env.srv.url);
  const check = async (page, [kind, fragment, expected]) => {
    await page.goto('about:blank');
    await page.goto(`${env.srv.url}#${fragment}`);
    try {
      await page.waitForSelector('[data-testid=error]', { timeout: 5_000 });
    } catch {
      failures.push(`${kind} ${fragment.slice(0, 60)}…: no error shown`);
      return;
    }
    const seen = await page.evaluate(() => ({
      error: document.querySelector('[data-testid=error]').textContent,
      preset: document.querySelector('[data-testid=preset] option:checked').textContent,
    }));
    if (!expected.test(seen.error) || !/default scenario is shown/.test(seen.error) || seen.preset !== defaultPreset) {
      failures.push(`${kind} ${fragment.slice(0, 60)}…: ${seen.error} [${seen.preset}]`);
    }
  };
  const worker = async (page, start) => {
    for (let i = start; i < links.length; i += 2) await check(page, links[i]);
  };
  await Promise.all([worker(page, 0), worker(second.page, 1)]);
  assert.deepEqual(second.problems, []);
  await second.context.close();
  assert.deepEqual(failures, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the saved work survives a bad link and comes back on the next visit', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '7');
  await page.fill('[data-testid=seed]', '99');
  await page.dispatchEvent('[data-testid=seed]', 'change');
  await scrub(page, 4_000);
  const saved = await page.waitForFunction(
    (key) => { const w = localStorage.getItem(key); return w && location.hash === '#' + w && w; },
    SAVED_WORK_KEY,
  ).then((h) => h.jsonValue());
  const work = await snapshot(page);

  // A damaged link: the default scenario, a message, and an offer to restore; playing it saves nothing.
  await page.goto('about:blank');
  await page.goto(`${env.srv.url}#${saved.slice(0, -9)}`);
  await page.waitForSelector('[data-testid=restore]');
  assert.match(await page.textContent('[data-testid=error]'), /damaged/);
  await page.click('[data-testid=play]');
  await page.waitForTimeout(700);
  await page.click('[data-testid=play]');
  await page.waitForTimeout(700);
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), SAVED_WORK_KEY), saved);
  assert.equal(page.url(), `${env.srv.url}#${saved.slice(0, -9)}`, 'the bad link stays in the address bar');

  // The next visit without a link restores the work, at its moment.
  await page.goto('about:blank');
  await page.goto(env.srv.url);
  await page.waitForFunction((t) => document.querySelector('[data-testid=trace-hash]')?.textContent === t, work.trace);
  const restored = await snapshot(page);
  assert.match(restored.preset, /^Your last work: /);
  assert.deepEqual({ ...restored, preset: null }, { ...work, preset: null });
  assert.match(await page.textContent('[data-testid=notice]'), /Restored your last work/);

  // And the Restore button brings it back after a bad link.
  await page.goto('about:blank');
  await page.goto(`${env.srv.url}#v9.future`);
  await page.click('[data-testid=restore]');
  await page.waitForFunction((t) => document.querySelector('[data-testid=trace-hash]').textContent === t, work.trace);
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('saved work that does not open is kept aside across visits; a run too big for a link is not saved as one', async () => {
  const FUTURE = 'v9.AAAAAAAAAAAA';
  // Work saved by a newer release, in the storage before the page's first visit (once: sessionStorage
  // remembers the seeding across the reloads of this tab).
  const seed = { script: ([key, value]) => {
    if (location.protocol !== 'http:') return; // about:blank between visits has no storage
    if (!sessionStorage.getItem('seeded')) { localStorage.setItem(key, value); sessionStorage.setItem('seeded', '1'); }
  }, arg: [SAVED_WORK_KEY, FUTURE] };
  const { page, context, problems } = await openApp(env.browser, env.srv.url, { before: seed });
  const stored = (key) => page.evaluate((k) => localStorage.getItem(k), key);
  await page.waitForSelector('[data-testid=set-aside]');
  assert.match(await page.textContent('[data-testid=set-aside]'), /saved by a newer Brokerscope: reload the page to update/);
  await page.screenshot({ path: screenshotPath('saved-work-set-aside') });
  await page.click('[data-testid=play]');
  await page.waitForTimeout(900);
  await page.click('[data-testid=play]');
  await page.waitForTimeout(900);
  assert.equal(await stored(SAVED_WORK_KEY), FUTURE, 'the default on screen never saves over it');
  assert.equal(await stored('brokerscope.set-aside-work'), FUTURE);

  // The user works on: their new work is saved, the old stays aside, and the next visit still offers it.
  await page.selectOption('[data-testid=preset]', '3');
  await page.waitForFunction((k) => localStorage.getItem(k) !== 'v9.AAAAAAAAAAAA', SAVED_WORK_KEY);
  await page.goto('about:blank');
  await page.goto(env.srv.url);
  await page.waitForSelector('[data-testid=set-aside]');
  assert.match(await page.textContent('[data-testid=set-aside]'), /earlier visit/);
  assert.match(await page.textContent('[data-testid=notice]'), /Restored your last work/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-set-aside]')]);
  assert.equal(download.suggestedFilename(), 'brokerscope-saved-work.txt');
  assert.match(fs.readFileSync(await download.path(), 'utf8'), /#v9\.AAAAAAAAAAAA\n$/);
  await page.click('[data-testid=discard-set-aside]');
  assert.equal(await page.locator('[data-testid=set-aside]').count(), 0);
  assert.equal(await stored('brokerscope.set-aside-work'), null);

  // A scenario with a story of 900,000 letters opens from its file, but would not open again as a link:
  // the page says so, Copy link hands nothing out, and the last work that fit stays saved.
  const before = await stored(SAVED_WORK_KEY);
  let x = 1n;
  const letters = Array.from({ length: 900_000 }, () => {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return String.fromCharCode(97 + Number(x >> 59n) % 26);
  }).join('');
  await page.setInputFiles('[data-testid=import-json]', {
    name: 'big.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ version: 1, name: 'Big story', story: letters, until_ms: 1000 })),
  });
  await page.waitForFunction(() => /Opened big\.json.*too big for a link/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  await page.click('[data-testid=share]');
  await page.waitForFunction(() => /too big for a link.*Export JSON/.test(document.querySelector('[data-testid=share-too-big]')?.textContent ?? ''));
  await page.keyboard.press('Escape');
  await page.waitForTimeout(900);
  assert.equal(await stored(SAVED_WORK_KEY), before);
  await page.goto('about:blank');
  await page.goto(env.srv.url);
  await page.waitForFunction(() => /Restored your last work/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  assert.deepEqual(problems, []);
  await context.close();
});

test('another tab saving its work is noticed, and this tab stops saving over it', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '2');
  const mine = await page.waitForFunction((k) => localStorage.getItem(k), SAVED_WORK_KEY).then((h) => h.jsonValue());
  const other = await context.newPage();
  await other.goto(env.srv.url);
  await other.waitForSelector('[data-testid=canvas]');
  await other.selectOption('[data-testid=preset]', '5');
  await other.waitForFunction(([k, v]) => localStorage.getItem(k) !== v, [SAVED_WORK_KEY, mine]);
  const theirs = await other.evaluate((k) => localStorage.getItem(k), SAVED_WORK_KEY);
  await page.waitForFunction(() => /Another Brokerscope tab saved its work/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
  await scrub(page, 3_000);
  await page.waitForTimeout(900);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), SAVED_WORK_KEY), theirs, 'not saved over');
  assert.notEqual(await page.evaluate(() => location.hash), `#${theirs}`, 'its own run is still in its address bar');
  assert.deepEqual(problems, []);
  await context.close();
});

test('embed mode shows the controls and the canvas only, and opens a link', async () => {
  const { page, context, problems } = await openApp(env.browser, env.srv.url);
  await page.selectOption('[data-testid=preset]', '4');
  await scrub(page, 6_000);
  const hash = await page.waitForFunction(() => location.hash.length > 10 && location.hash).then((h) => h.jsonValue());
  const trace = await page.textContent('[data-testid=trace-hash]');

  const embed = await openApp(env.browser, `${env.srv.url}?embed=1${hash}`, { viewport: { width: 960, height: 540 } });
  await embed.page.waitForSelector('[data-testid=embed]');
  assert.equal(await embed.page.locator('.app-header').count(), 0);
  assert.equal(await embed.page.locator('[data-testid=scoreboard]').count(), 0);
  assert.equal(await embed.page.locator('[data-testid=details]').count(), 0);
  assert.ok(await embed.page.isVisible('[data-testid=play]'));
  assert.ok(await embed.page.isVisible('[data-testid=canvas]'));
  assert.equal(await embed.page.inputValue('[data-testid=scrubber]'), '6000');
  // The deck's scenario is not the viewer's work: the embed neither restores nor overwrites it.
  await embed.page.evaluate(() => localStorage.setItem('brokerscope.last-work', 'mine'));
  await embed.page.click('[data-testid=step]');
  await embed.page.waitForTimeout(700);
  assert.equal(await embed.page.evaluate(() => localStorage.getItem('brokerscope.last-work')), 'mine');
  assert.match(embed.page.url(), /\?embed=1#v2\./, 'the address bar keeps embed mode as it follows the run');
  await embed.page.screenshot({ path: screenshotPath('embed-960x540') });
  assert.deepEqual(embed.problems, []);
  await embed.context.close();
  assert.ok(trace.length === 16);
  assert.deepEqual(problems, []);
  await context.close();
});

/** A v1 link around `prefix`, `spaces` spaces and `suffix`: the spaces as one LZ4 match (offset 1), so a
 *  megabyte of JSON travels in a link of a few kilobytes, as LZ4 itself would pack it. */
function forgePadded(prefix, spaces, suffix) {
  const varlen = (n) => { const out = []; for (; n >= 255; n -= 255) out.push(255); out.push(n); return out; };
  const literals = Buffer.from(prefix + ' ');
  const match = spaces - 1; // the first space is a literal, the match repeats it
  const token = (Math.min(literals.length, 15) << 4) | Math.min(match - 4, 15);
  const first = Buffer.concat([
    Buffer.from([token, ...(literals.length >= 15 ? varlen(literals.length - 15) : [])]),
    literals,
    Buffer.from([1, 0, ...(match - 4 >= 15 ? varlen(match - 4 - 15) : [])]),
  ]);
  const tail = Buffer.from(suffix);
  const last = Buffer.concat([Buffer.from([Math.min(tail.length, 15) << 4, ...(tail.length >= 15 ? varlen(tail.length - 15) : [])]), tail]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(Buffer.byteLength(prefix) + spaces + tail.length);
  const body = Buffer.concat([len, first, last]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return 'v1.' + Buffer.concat([crc, body]).toString('base64url');
}

test('a link whose JSON is exactly the 1 MiB limit opens, is saved as a link that reopens, and one byte more is refused', async () => {
  const scenario = fs.readFileSync(path.join(root, 'scenarios/07-double-charge.json'), 'utf8');
  const prefix = `{"scenario":${scenario},"view":{"at_ms":3000}`;
  const suffix = ' '.repeat(11) + '}';
  const atLimit = (extra) => forgePadded(prefix, (1 << 20) - Buffer.byteLength(prefix) - suffix.length + extra, suffix);
  const link = atLimit(0);
  assert.ok(link.length < 20_000, `a megabyte of JSON in a ${link.length}-character link`);

  const { page, context, problems } = await openApp(env.browser, `${env.srv.url}#${link}`);
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').textContent === '3.000 s');
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
  assert.match(await page.textContent('[data-testid=preset] option:checked'), /Double charge/);
  // Re-encoded without its padding, it is saved as a link that opens on the next visit.
  await page.waitForFunction(() => (localStorage.getItem('brokerscope.last-work') ?? '').length > 10);
  await page.goto(env.srv.url);
  await page.waitForSelector('[data-testid=canvas]');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').textContent === '3.000 s');
  assert.match(await page.textContent('[data-testid=preset] option:checked'), /Double charge/);
  assert.equal(await page.locator('[data-testid=error], [data-testid=set-aside]').count(), 0, 'nothing refused or set aside');

  // One byte over: refused with the reason, the saved work kept.
  await page.goto(`${env.srv.url}#${atLimit(1)}`);
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /unpacks to more than 1024 KB/);
  assert.deepEqual(problems, []);
  await context.close();
});
