// Serves dist/ from the app's sub-path on PORT, for Playwright Test's webServer (and the frame benchmark,
// through the harness's startServer).
import { startServer } from './harness.mjs';

const { url } = await startServer(Number(process.env.PORT));
console.log(`serving dist/ at ${url}`);
