// A run left going for a long time: the history keeps its newest operations, the panels say what
// they cover, and seeking back past the kept history still works.
import { test, expect } from '@playwright/test';
import { watchErrors, boot, state } from './support';

type S = { time_us: number; history_start: number; history: { id: number }[] };

test('forty virtual minutes: bounded history, panels say what they cover, seeking back works', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  await boot(page);
  await page.evaluate(() => (window as any).replicaLab.pause());
  await page.evaluate(() => (window as any).replicaLab.seek(40 * 60 * 1000));
  const s = await state<S>(page);
  expect(s.time_us).toBe(40 * 60 * 1e6);
  expect(s.history_start).toBeGreaterThan(0);
  expect(s.history.length).toBeGreaterThanOrEqual(5000);
  expect(s.history.length).toBeLessThanOrEqual(7500);
  expect(s.history[0].id).toBe(s.history_start);

  await page.getByRole('tab', { name: /^Results/ }).click();
  const note = page.locator('#panel-results .forgotten');
  await expect(note).toContainText(/A long run: .* \d+ older operations/);
  await page.getByRole('tab', { name: 'Consistency' }).click();
  await expect(page.locator('#panel-consistency .forgotten')).toContainText(/older ones are no longer kept/);

  // Back to minute 5, before the oldest operation kept at minute 40: the page lands there.
  await page.evaluate(() => (window as any).replicaLab.seek(5 * 60 * 1000));
  const back = await state<S>(page);
  expect(back.time_us).toBe(5 * 60 * 1e6);
  expect(back.history.length).toBeGreaterThan(0);
  expect(back.history[back.history.length - 1].id).toBeLessThan(s.history_start);
  await expect(page.locator('svg.cluster g.node').first()).toBeVisible();
  expect(errors, errors.join('\n')).toEqual([]);
});

test('timeline marks survive the trace dropping its oldest events', async ({ page }) => {
  // About 35,000 events per virtual second: the trace (100,000 to 150,000 events kept) drops its
  // oldest events every second or so. The page moves on in steps of 100 ms, as frames of play
  // do, and changes the latency after each: every change must get its mark.
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  await boot(page);
  await page.evaluate(() => (window as any).replicaLab.pause());
  const apply = (a: object) => page.evaluate((x) => (window as any).replicaLab.apply(x), a);
  expect(await apply({ do: 'workload', write_every_ms: 1, read_every_ms: 0, keys: 3, read_from: 'nearest' })).toEqual({ ok: true });
  const t0 = (await state<S>(page)).time_us / 1000;
  const changes = 150;
  for (let i = 1; i <= changes; i++) {
    await page.evaluate((to) => (window as any).replicaLab.seek(to), t0 + 100 * i);
    expect(await apply({ do: 'set-latency', latency_ms: 5 + (i % 2) })).toEqual({ ok: true });
  }
  // The run went far enough for the trace to drop its oldest events many times over.
  const end = await state<S & { trace_start: number }>(page);
  expect(end.time_us).toBeGreaterThan((t0 + 100 * changes) * 1000);
  expect(end.trace_start).toBeGreaterThan(200_000);
  const marks = page.locator('.marks .mark.setting[title^="latency = "]');
  await expect(marks).toHaveCount(changes);
  expect(errors, errors.join('\n')).toEqual([]);
});
