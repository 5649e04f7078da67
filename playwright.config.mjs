// Playwright Test, the ecosystem's runner, for the end-to-end suites written for it (tests/e2e/*.spec.mjs):
// dist/ served from a sub-path, Debian's Chromium (no browser download), one worker (two cores), and the
// views a room meets as projects. Traces and screenshots are kept for failures only.
import { defineConfig } from '@playwright/test';
import { CHROMIUM, SUB_PATH } from './tests/e2e/harness.mjs';

const port = Number(process.env.E2E_PORT || 41731);

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '*.spec.mjs',
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
    { name: '1280x720-light', use: { viewport: { width: 1280, height: 720 }, colorScheme: 'light' } },
    { name: '1280x720-dark', use: { viewport: { width: 1280, height: 720 }, colorScheme: 'dark' } },
    { name: '1920x1080', use: { viewport: { width: 1920, height: 1080 }, colorScheme: 'light' } },
    { name: 'reduced-motion', use: { viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce' } },
  ],
});
