// The same scenario on another broker: a queue's details switch it from SQS to a RabbitMQ quorum queue,
// which has no visibility timeout but a delivery limit (20 by default since RabbitMQ 4.0).
import { test, expect } from './fixtures.mjs';
import { scrub, screenshotPath } from './harness.mjs';

test('a queue switched to a RabbitMQ quorum queue shows its delivery limit instead of a visibility timeout', async ({ app: page }, info) => {
  await page.selectOption('[data-testid=preset]', '1'); // SQS: a standard queue
  await scrub(page, 3000);
  const queue = page.locator('[data-node=queue-0]');
  await expect(queue).toContainText('visibility');
  await queue.click({ position: { x: 40, y: 10 } });
  await expect(page.getByTestId('edit-visibility')).toBeVisible();
  await page.selectOption('[data-testid=edit-queue-kind]', 'quorum');
  await expect(queue).toContainText('delivery-limit 20');
  await expect(page.getByTestId('edit-visibility')).toHaveCount(0);
  await expect(page.getByTestId('edit-delivery-limit')).toHaveValue('20');
  await page.screenshot({ path: screenshotPath(`queue-quorum-${info.project.name}`) });
  await page.click('[data-testid=fast-forward]');
  await expect(page.getByTestId('fast-forward')).toBeDisabled();
  await expect(page.getByTestId('anomalies')).not.toContainText('visibility timeout');
});
