// Playwright Test, the ecosystem's runner, for every end-to-end suite: dist/ served from a sub-path,
// Debian's Chromium (no browser download), one worker (two cores). The suites about what a room sees
// (`*.spec.mjs`) run once per view, the projects; the others (`*.test.mjs`) set up their own viewports
// and run once. Traces and screenshots are kept for failures only.
import { defineConfig } from '@playwright/test';
import { CHROMIUM, PORT as port, SUB_PATH } from './tests/e2e/harness.mjs';

const views = { testMatch: '*.spec.mjs' };

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'tests/e2e/artifacts/playwright',
  workers: 1,
  forbidOnly: true,
  reporter: [['list']],
  timeout: 60_000,
  webServer: {
    command: `node tests/e2e/serve.mjs`,
    env: { PORT: String(port) },
    url: `http://127.0.0.1:${port}${SUB_PATH}`,
    reuseExistingServer: false,
  },
  use: {
    baseURL: `http://127.0.0.1:${port}${SUB_PATH}`,
    launchOptions: CHROMIUM,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: '1280x720-light', ...views, use: { viewport: { width: 1280, height: 720 }, colorScheme: 'light' } },
    { name: '1280x720-dark', ...views, use: { viewport: { width: 1280, height: 720 }, colorScheme: 'dark' } },
    { name: '1920x1080', ...views, use: { viewport: { width: 1920, height: 1080 }, colorScheme: 'light' } },
    { name: 'reduced-motion', ...views, use: { viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce' } },
    // Longer runs (a run to the end of the largest scenario) than a view's check.
    { name: 'suites', testMatch: '*.test.mjs', timeout: 240_000 },
  ],
});
