// The Consistency tab: metrics, linearizability per key, charts that follow the run, and sweeps
// that run in slices with a progress bar: W×R (leaderless) ending in a heatmap, followers' mode ×
// latency (single-leader) ending in bars of the p99 write latency.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { watchErrors, boot, choose, state, OUT } from './support';
import * as path from 'path';

const consistencyTab = (page: Page) => page.getByRole('tab', { name: 'Consistency' }).click();
const forward = async (page: Page, ms: number) => {
  const t = (await state<{ time_us: number }>(page)).time_us / 1000;
  await page.evaluate((to) => (window as any).replicaLab.seek(to), t + ms);
};

test('metrics, verdicts and charts follow the run', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await page.evaluate(() => (window as any).replicaLab.pause());
  await consistencyTab(page);
  await forward(page, 3000);
  const panel = page.locator('#panel-consistency');
  await expect(panel.locator('table.metrics')).toContainText('availability');
  await expect(panel.locator('figure.chart')).toHaveCount(5); // latency, lag, lag in time, staleness, availability
  await expect(panel.locator('figure.chart[data-chart="replication lag"] polyline').first()).toHaveAttribute('points', /( [\d.]+,[\d.]+){10}/);
  await expect(panel.locator('.verdicts')).toContainText(/linearizable/);
  await page.screenshot({ path: path.join(OUT, 'consistency-single-leader.png') });
  const scan = await new AxeBuilder({ page }).include('#panel-consistency').analyze();
  const bad = scan.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} nodes, e.g. ${v.nodes[0]?.target}`);
  expect(bad, bad.join('\n')).toEqual([]);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('leaderless W = 1, R = 1: stale reads flagged; the W×R sweep finishes with a heatmap', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Leaderless');
  await page.evaluate(() => (window as any).replicaLab.pause());
  await page.getByRole('button', { name: 'Fewer write acknowledgements (W)' }).click();
  await page.getByRole('button', { name: 'Fewer read answers (R)' }).click();
  await expect.poll(async () => (await state<any>(page)).settings).toMatchObject({ w: 1, r: 1 });
  // A jittery network and busier clients (set up through the API: this spec is about the tab).
  await page.evaluate(() => {
    const lab = (window as any).replicaLab;
    lab.apply({ do: 'set-latency', latency_ms: 20, jitter_ms: 200 });
    lab.apply({ do: 'workload', write_every_ms: 30, read_every_ms: 15, keys: 2 });
  });
  await forward(page, 6000);
  await consistencyTab(page);
  const panel = page.locator('#panel-consistency');
  await expect(panel.locator('#stale-share')).not.toHaveText('0.0%');
  await expect(panel.locator('.verdicts li.bad').first()).toContainText('not linearizable');
  await panel.getByRole('button', { name: 'Run sweep' }).click();
  const progress = panel.locator('#sweep-progress');
  await expect(progress).toBeVisible();
  await expect
    .poll(async () => Number(await progress.getAttribute('value')) >= Number(await progress.getAttribute('max')), { timeout: 100_000 })
    .toBe(true);
  const n = Number(await progress.getAttribute('max'));
  await expect(panel.locator('figure.heatmap g.cell')).toHaveCount(n);
  // With one write acknowledgement and one read answer, some reads are stale.
  expect(Number(await panel.locator('g.cell[data-w="1"][data-r="1"]').getAttribute('data-stale'))).toBeGreaterThan(0);
  await panel.locator('figure.heatmap').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'consistency-sweep.png') });
  // The counterexamples are outlined in the space-time diagram: go to where one ends.
  const ops = ((await panel.locator('.verdicts li.bad').first().getAttribute('data-ops')) ?? '').split(' ').map(Number);
  const s = await state<any>(page);
  const op = (id: number) => s.history[id - s.history_start];
  const last = Math.max(...ops.map((o) => op(o).complete_us ?? op(o).invoke_us)) / 1000;
  await page.evaluate((to) => (window as any).replicaLab.seek(to), last + 50);
  await page.getByRole('button', { name: 'space-time diagram' }).click();
  await expect(page.locator('g.st-span.flagged').first()).toBeAttached();
  await page.screenshot({ path: path.join(OUT, 'consistency-spacetime.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('single-leader: the sync mode × latency sweep finishes and plots p99 write latency', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  await boot(page);
  await page.evaluate(() => (window as any).replicaLab.pause());
  await consistencyTab(page);
  const panel = page.locator('#panel-consistency');
  await expect(panel.getByRole('heading', { name: 'Sweep sync mode × latency' })).toBeVisible();
  await panel.getByRole('button', { name: 'Run sweep' }).click();
  await expect(panel.locator('#sweep-progress')).toHaveAttribute('value', '9', { timeout: 100_000 });
  const bars = panel.locator('figure.mode-chart g.bar');
  await expect(bars).toHaveCount(9);
  const p99 = async (mode: string, latency: number) =>
    Number(await panel.locator(`g.bar[data-mode="${mode}"][data-latency="${latency}"]`).getAttribute('data-p99'));
  // Waiting for followers costs a round trip that an asynchronous leader does not pay.
  for (const latency of [20, 60]) {
    expect(await p99('sync', latency), `sync at ${latency} ms`).toBeGreaterThan(await p99('async', latency));
    expect(await p99('semi-sync k=1', latency)).toBeGreaterThan(await p99('async', latency));
  }
  // Slower links make synchronous writes slower.
  expect(await p99('sync', 60)).toBeGreaterThan(await p99('sync', 5));
  await panel.locator('figure.mode-chart').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'consistency-mode-sweep.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});
