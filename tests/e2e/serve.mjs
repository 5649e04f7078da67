// Serves dist/ from the app's sub-path on PORT, for Playwright Test's webServer (the same server the
// node:test suites start for themselves).
import { startServer } from './harness.mjs';

const { url } = await startServer(Number(process.env.PORT));
console.log(`serving dist/ at ${url}`);
