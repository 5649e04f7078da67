// Playwright Test fixtures for Brokerscope's suites: every test fails on a console error, an uncaught page
// error or a request to another origin (the app never calls one), and `app` is the page opened and drawn.
import { test as base, expect } from '@playwright/test';

export const test = base.extend({
  problems: [
    async ({ page, baseURL }, use) => {
      const problems = [];
      const origin = new URL(baseURL).origin;
      page.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('request', (req) => {
        const u = req.url();
        if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`non-local request: ${u}`);
      });
      await use(problems);
      expect(problems, 'nothing went wrong in the page').toEqual([]);
    },
    { auto: true },
  ],
  app: async ({ page }, use) => {
    await page.goto('./');
    await expect(page.getByTestId('canvas')).toBeVisible();
    await use(page);
  },
});

export { expect };
