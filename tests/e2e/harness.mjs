// Shared end-to-end harness: a static server for dist/ under a sub-path (Playwright Test's webServer, and
// the frame benchmark's), Debian's Chromium, and pages that fail their test on a console error, an
// uncaught exception, or a request to anything but this local server.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { test } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const dist = path.join(root, 'dist');
export const artifacts = path.join(here, 'artifacts');
/** The app is served from a sub-path, as on a shared static host. */
export const SUB_PATH = '/workshops/brokerscope/';
/** Where Playwright Test's webServer serves dist/ (playwright.config.mjs). */
export const PORT = Number(process.env.E2E_PORT || 41731);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain',
};

export async function startServer(port = 0) {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    throw new Error('dist/index.html is missing: run ./dev build first');
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (!url.pathname.startsWith(SUB_PATH)) {
      res.writeHead(404).end('outside the sub-path');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(SUB_PATH.length)) || 'index.html';
    const file = path.join(dist, rel);
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { server, origin, url: origin + SUB_PATH };
}

/** Debian's Chromium, never a downloaded browser; the flags keep it quiet and off the network. */
export const CHROMIUM = {
  executablePath: process.env.BROKERSCOPE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

export async function launch() {
  return chromium.launch(CHROMIUM);
}

/** A page that records everything a test must fail on. `before`: a script (and its argument) run in the
 *  page before the app's own, on every navigation (e.g. to seed its storage). */
export async function openApp(browser, url, { viewport = { width: 1280, height: 720 }, colorScheme = 'light', reducedMotion = 'no-preference', before } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, reducedMotion });
  if (before) await context.addInitScript(before.script, before.arg);
  // The wasm instance's memory, for tests that measure it (it only grows: its size is the peak).
  await context.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasmMemory = e.detail.wasm.memory; });
  });
  const page = await context.newPage();
  const problems = [];
  const origin = new URL(url).origin;
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`non-local request: ${u}`);
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid=canvas]');
  return { page, context, problems };
}

export async function score(page, id) {
  const text = await page.textContent(`[data-testid=score-${id}]`);
  return Number(text);
}

export function screenshotPath(name) {
  fs.mkdirSync(artifacts, { recursive: true });
  return path.join(artifacts, `${name}.png`);
}

/** For the suites written with a browser of their own (`*.test.mjs`): Playwright Test's browser (Debian's
 *  Chromium, launched as playwright.config.mjs says) and the address of its web server, filled in before
 *  the file's tests run. Each test opens its own context with `openApp`. */
export function useBrowser() {
  const env = { srv: { url: `http://127.0.0.1:${PORT}${SUB_PATH}` }, browser: null };
  test.beforeAll(async ({ browser }) => {
    env.browser = browser;
  });
  return env;
}

/** Drags the time scrubber to `ms` (as a user's input event) and waits until the page shows it. */
export async function scrub(page, ms) {
  await page.$eval('[data-testid=scrubber]', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  await page.waitForFunction((v) => Number(document.querySelector('[data-testid=scrubber]').value) === v, ms);
}

/** The page's wasm memory in MiB (it never shrinks, so this is its peak so far). */
export async function wasmMemoryMiB(page) {
  return page.evaluate(() => window.__wasmMemory.buffer.byteLength / (1 << 20));
}
