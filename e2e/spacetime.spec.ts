// The space-time diagram follows the same clock as the cluster picture, and the page passes an
// accessibility scan in both views.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as path from 'path';
import { OUT } from './support';

test('the space-time diagram shows the run up to now and toggles with D', async ({ page }) => {
  await page.goto('/');
  await page.waitForFunction(() => (window as any).replicaLab);
  // A crash at 1.2 s, then look at the moments after it.
  await page.evaluate(() => {
    const api = (window as any).replicaLab;
    api.pause();
    api.seek(1200);
    api.apply({ do: 'crash', node: 0 });
    api.seek(1500);
  });
  await page.keyboard.press('d');
  const diagram = page.locator('figure.spacetime');
  await expect(diagram).toBeVisible();
  await expect(page.locator('svg.cluster')).toBeHidden();
  // One lane per node and client, arrows for messages, a mark for the crash.
  await expect(diagram.locator('.st-lane')).toHaveCount(5);
  expect(await diagram.locator('.st-msg').count()).toBeGreaterThan(3);
  await expect(diagram.locator('.st-tick.bad')).toHaveCount(1);
  await expect(diagram.locator('figcaption')).toContainText('1500.0 ms (now)');
  await page.screenshot({ path: path.join(OUT, 'spacetime.png') });

  // Scrubbing back moves the diagram with the clock.
  await page.evaluate(() => (window as any).replicaLab.seek(900));
  await expect(diagram.locator('figcaption')).toContainText('900.0 ms (now)');
  await expect(diagram.locator('.st-tick.bad')).toHaveCount(0);

  // Clicking an arrow jumps to its send time.
  await page.evaluate(() => (window as any).replicaLab.seek(1500));
  await diagram.locator('.st-msg').first().click({ force: true });
  const t = await page.evaluate(() => (window as any).replicaLab.getState().time_us);
  expect(t).toBeLessThan(1_500_000);
  expect(t).toBeGreaterThanOrEqual(700_000);

  await page.getByRole('button', { name: 'cluster picture' }).click();
  await expect(page.locator('svg.cluster')).toBeVisible();
  await expect(diagram).toHaveCount(0);
});

for (const view of ['cluster', 'diagram']) {
  test(`no serious or critical accessibility violations (${view})`, async ({ page }) => {
    await page.goto('/');
    await page.waitForFunction(() => (window as any).replicaLab);
    await page.evaluate(() => (window as any).replicaLab.pause());
    if (view === 'diagram') await page.keyboard.press('d');
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.passes.length, "the scan ran its rules").toBeGreaterThan(10);
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} nodes, e.g. ${v.nodes[0]?.target}`);
    expect(bad, bad.join('\n')).toEqual([]);
  });
}
