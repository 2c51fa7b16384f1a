// A run left going for a long time: the history keeps its newest operations, the panels say what
// they cover, and seeking back past the kept history still works.
import { test, expect } from '@playwright/test';
import * as zlib from 'zlib';
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
  // Nine nodes and a heartbeat every 2 ms: a steady 16,000 trace events per virtual second, so
  // the trace (100,000 to 150,000 events kept) drops its oldest events every few seconds. The
  // latency changes every 250 ms (each change is a mark on the timeline); the page moves on in
  // steps of 500 ms (8,000 events), as frames of play do. Every change must keep its mark, also
  // those of a step in which the trace dropped events.
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  await boot(page);
  const changes = 120;
  const scenario = {
    version: 1, seed: 1, nodes: 9, clients: 1,
    strategy: { kind: 'single-leader', heartbeat_ms: 2 },
    schedule: Array.from({ length: changes }, (_, i) => ({ at_ms: 250 * (i + 1), do: 'set-latency', latency_ms: 5 + (i % 2) })),
  };
  const link = '1.' + zlib.deflateRawSync(Buffer.from(JSON.stringify({ v: 1, scenario }))).toString('base64url');
  expect(await page.evaluate((l) => (window as any).replicaLab.load(l), link)).toEqual({ ok: true });
  await page.evaluate(() => (window as any).replicaLab.pause());
  await expect.poll(async () => (await state<S>(page)).time_us).toBe(0);
  const end_ms = 250 * changes + 100;
  for (let t = 500; t < end_ms + 500; t += 500) {
    await page.evaluate((to) => (window as any).replicaLab.seek(to), Math.min(t, end_ms));
  }
  // The trace dropped its oldest events many times over.
  const end = await state<S & { trace_start: number }>(page);
  expect(end.time_us).toBe(end_ms * 1000);
  expect(end.trace_start).toBeGreaterThan(300_000);
  await expect(page.locator('.marks .mark.setting[title^="latency = "]')).toHaveCount(changes);
  expect(errors, errors.join('\n')).toEqual([]);
});
