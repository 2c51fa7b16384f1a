// The sample blog page (static/embed-demo.html) embeds three presets in sandboxed iframes:
// they load, size themselves, autoplay runs, and the parent drives one with postMessage.
import { test, expect, type Frame } from '@playwright/test';
import * as path from 'path';
import { OUT, watchErrors } from './support';

const stateIn = (f: Frame) => f.evaluate(() => (window as any).replicaLab.getState());

test('the embed demo page: three sandboxed embeds, autoplay, resize, postMessage', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await page.goto('/embed-demo.html');
  const iframes = page.locator('iframe');
  await expect(iframes).toHaveCount(3);
  for (const sandbox of await iframes.evaluateAll((fs) => fs.map((f) => f.getAttribute('sandbox')))) {
    expect(sandbox).toBe('allow-scripts');
  }
  // Lazy iframes load as they come into view.
  for (let i = 0; i < 3; i++) await iframes.nth(i).scrollIntoViewIfNeeded();
  const frames = await Promise.all(
    ['failover', 'conflict', 'quorum'].map(async (id) => (await page.locator(`#${id}`).elementHandle())!.contentFrame()),
  );
  for (const f of frames) {
    await f!.waitForFunction(() => typeof (window as any).replicaLab?.getState === 'function');
    // Sandboxed without allow-same-origin: an opaque origin.
    expect(await f!.evaluate(() => origin)).toBe('null');
  }
  const [failover, conflict, quorum] = frames as Frame[];
  // Each iframe was sized from the height its embed reported.
  await expect.poll(() => iframes.evaluateAll((fs) => fs.map((f) => (f as HTMLElement).style.height))).not.toContain('');
  // The first waits, paused on its moment; the other two autoplay.
  expect((await stateIn(failover)).playing).toBe(false);
  for (const f of [conflict, quorum]) {
    const t0 = (await stateIn(f)).time_us;
    await expect.poll(async () => (await stateIn(f)).time_us).not.toBe(t0);
    expect((await stateIn(f)).playing).toBe(true);
  }
  // The parent page's buttons post commands to the first embed.
  await page.getByRole('button', { name: 'Go to 300 ms' }).click();
  await expect.poll(async () => (await stateIn(failover)).time_us).toBe(300_000);
  await page.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => (await stateIn(failover)).playing).toBe(true);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect.poll(async () => (await stateIn(failover)).playing).toBe(false);
  // Malformed commands are ignored.
  const before = (await stateIn(failover)).time_us;
  await page.evaluate(() => {
    const w = (document.getElementById('failover') as HTMLIFrameElement).contentWindow!;
    w.postMessage({ type: 'replica-lab', cmd: 'seek', ms: -5 }, '*');
    w.postMessage({ type: 'replica-lab', cmd: 'explode' }, '*');
    w.postMessage({ type: 'replica-lab', cmd: 'load', link: '1.garbage' }, '*');
    w.postMessage(null, '*');
  });
  await page.waitForTimeout(200);
  expect((await stateIn(failover)).time_us).toBe(before);
  expect((await stateIn(failover)).settings.kind).toBe('single-leader');
  await page.getByRole('button', { name: 'Load the conflict scenario' }).click();
  await expect.poll(async () => (await stateIn(failover)).settings.kind).toBe('multi-leader');
  await page.locator('#failover').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'embed-demo.png'), fullPage: true });
  expect(errors).toEqual([]);
});
