// A message in flight hit from its token (RaftScope's right-click drop): a send on its way to the broker is
// dropped, a delivery on its way to a worker is held up, and the run shows what follows, replayed exactly.
import { test, expect } from './fixtures.mjs';
import { scrub, screenshotPath } from './harness.mjs';

// Steps until a token of `kind` is drawn, clicks the newest message's (the one most likely still on its
// way) and goes on until its journey offers the buttons of `inFlight`; returns that message's number.
async function clickTokenInFlight(page, kind, inFlight) {
  const tokens = page.locator(`[data-kind=${kind}][data-message]`);
  let message = null;
  for (let i = 0; i < 80 && (await inFlight.count()) === 0; i++) {
    await page.click('[data-testid=step]');
    if ((await tokens.count()) === 0) continue;
    const ids = await tokens.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-message'))));
    message = String(Math.max(...ids));
    await page.locator(`[data-kind=${kind}][data-message="${message}"]`).first().dispatchEvent('click');
  }
  return message;
}

test('a send in flight can be dropped from its token, and the producer resends it', async ({ app: page }, info) => {
  await page.selectOption('[data-testid=preset]', '7'); // producer retries: acks=all, a request timeout
  await scrub(page, 2000);
  const inFlight = page.getByTestId('send-in-flight');
  const message = await clickTokenInFlight(page, 'send', inFlight);
  await expect(page.getByTestId('journey-title')).toContainText(`#${message}`);
  await expect(inFlight).toContainText('on its way');
  await page.screenshot({ path: screenshotPath(`in-flight-${info.project.name}`) });

  await page.click('[data-testid=drop-send]');
  await expect(page.getByTestId('notice')).toContainText(`drop the send of message #${message} in flight`);
  await page.click('[data-testid=fast-forward]');
  await expect(page.getByTestId('fast-forward')).toBeDisabled();
  const journey = page.getByTestId('journey');
  await expect(journey).toContainText('send never reached the broker');
  await expect(journey).toContainText('sent it again');
  // The resend is the only copy: it is not called a duplicate.
  await expect(journey).toContainText('a retry, the first copy to arrive');
  await expect(journey).not.toContainText('duplicate copy');
  const trace = await page.getByTestId('trace-hash').textContent();

  // Recorded into the scenario: a restart replays the same drop, the same run to its last event.
  await page.click('[data-testid=restart]');
  await page.click('[data-testid=fast-forward]');
  await expect(page.getByTestId('fast-forward')).toBeDisabled();
  await expect(page.getByTestId('trace-hash')).toHaveText(trace);
});

test('a delivery in flight held up past the visibility timeout is received by a second worker', async ({ app: page }, info) => {
  await page.selectOption('[data-testid=preset]', '1'); // a queue with competing workers
  await scrub(page, 2000);
  const inFlight = page.getByTestId('delivery-in-flight');
  const message = await clickTokenInFlight(page, 'delivery', inFlight);
  await expect(page.getByTestId('journey-title')).toContainText(`#${message}`);
  await expect(inFlight).toContainText('on its way');
  await page.screenshot({ path: screenshotPath(`delivery-in-flight-${info.project.name}`) });

  await page.click('[data-testid=delay-delivery-past-timeout]');
  await expect(page.getByTestId('notice')).toContainText(`delay the delivery of message #${message}`);
  await page.click('[data-testid=fast-forward]');
  await expect(page.getByTestId('fast-forward')).toBeDisabled();
  const journey = page.getByTestId('journey');
  await expect(journey).toContainText('is held up in the network');
  await expect(journey).toContainText('received it again');
  const trace = await page.getByTestId('trace-hash').textContent();

  await page.click('[data-testid=restart]');
  await page.click('[data-testid=fast-forward]');
  await expect(page.getByTestId('fast-forward')).toBeDisabled();
  await expect(page.getByTestId('trace-hash')).toHaveText(trace);
});
