// Side by side (the same scenario and seed under another setting, one clock, a metrics diff) and
// an anomaly's cause highlighted in the diagram and the cluster picture.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { watchErrors, state, OUT, openStored } from './support';
import * as path from 'path';

async function open(page: Page, name: string) {
  await openStored(page, name);
}

const seek = (page: Page, ms: number) => page.evaluate((t) => (window as any).replicaLab.seek(t), ms);

test('async beside semi-sync: two pictures on one clock, and the diff shows the lost writes', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'async-failover-loss');
  await page.getByRole('tab', { name: 'Consistency' }).click();
  await page.getByRole('button', { name: 'Compare with semi-sync k=1' }).click();
  const a = page.locator('.compare-side[data-side="a"]');
  const b = page.locator('.compare-side[data-side="b"]');
  await expect(a.locator('svg.cluster:not(.twin) g.node')).toHaveCount(3);
  await expect(b.locator('svg.cluster.twin g.node')).toHaveCount(3);
  await expect(a.locator('.compare-label')).toContainText('async');
  await expect(b.locator('.compare-label')).toContainText('semi-sync k=1');
  // One clock: after a seek, and after playing a while.
  await seek(page, 2500);
  const now = async () => (await state<{ time_us: number }>(page)).time_us;
  await expect(b).toHaveAttribute('data-time', String(await now()));
  await page.evaluate(() => (window as any).replicaLab.play());
  await page.waitForTimeout(400);
  await page.evaluate(() => (window as any).replicaLab.pause());
  await expect.poll(async () => Number(await b.getAttribute('data-time'))).toBe(await now());
  expect(await now()).toBeGreaterThan(2_500_000);
  await seek(page, 5000);
  await expect(b).toHaveAttribute('data-time', '5000000');
  // The metrics diff: the asynchronous run lost two acknowledged writes, the semi-synchronous none.
  const lost = page.locator('table.diff tr[data-metric="lost writes"]');
  await expect(lost.locator('td.a')).toHaveText('2');
  await expect(lost.locator('td.b')).toHaveText('0');
  await expect(lost.locator('td.b')).toHaveClass(/better/);
  await expect(page.locator('table.diff tbody tr')).toHaveCount(9);
  await page.screenshot({ path: path.join(OUT, 'compare-async-semisync.png') });
  const scan = await new AxeBuilder({ page }).include('.compare').include('.compare-diff').include('.compare-menu').analyze();
  const bad = scan.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} nodes, e.g. ${v.nodes[0]?.target}`);
  expect(bad, bad.join('\n')).toEqual([]);
  // Acting on the main run acts on the twin at the same moment.
  await page.evaluate(() => (window as any).replicaLab.apply({ do: 'crash', node: 1 }));
  await expect(b.locator('svg.cluster.twin g.node[data-node="1"]')).toHaveClass(/down/);
  await expect(b).toHaveAttribute('data-time', String(await now()));
  // Closing restores the one picture.
  await page.getByRole('button', { name: 'Close comparison' }).click();
  await expect(page.locator('.compare')).toHaveCount(0);
  await expect(page.locator('svg.cluster')).toHaveCount(1);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('the lost writes are flagged with their ids, and show their cause', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'async-failover-loss');
  await seek(page, 1500);
  await page.getByRole('tab', { name: /Results/ }).click();
  const panel = page.locator('#panel-results');
  const lost = panel.locator('ul.anomalies li[data-kind="lost-write"]');
  await expect(lost).toHaveCount(2);
  expect((await lost.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-ops')))).sort()).toEqual(['2', '3']);
  await expect(panel.locator('ul.fates li.lost .kv')).toHaveText(['#3 z=4', '#2 x=3']);
  await lost.filter({ hasText: '#2' }).getByRole('button', { name: 'show cause' }).click();
  // The diagram opens at the anomaly's moment with the lost write outlined.
  await expect(page.locator('figure.spacetime')).toBeVisible();
  await expect(page.locator('g.st-span.cause[data-op="2"]')).toHaveAttribute('data-cause', 'lost');
  const t = (await state<{ time_us: number }>(page)).time_us;
  expect(t).toBeGreaterThanOrEqual(882_000);
  expect(t).toBeLessThan(883_000);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('clicking a stale read highlights the read and the write it missed', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'weak-quorum-stale-read');
  await seek(page, 1000);
  await page.getByRole('tab', { name: /Results/ }).click();
  const stale = page.locator('#panel-results ul.anomalies li[data-kind="stale-read"]').first();
  await expect(stale).toHaveAttribute('data-ops', '1 0');
  await stale.getByRole('button', { name: 'show cause' }).click();
  await expect(stale.getByRole('button', { name: 'hide cause' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('g.st-span.cause[data-op="1"]')).toHaveAttribute('data-cause', 'read');
  await expect(page.locator('g.st-span.cause[data-op="0"]')).toHaveAttribute('data-cause', 'missed');
  await expect(page.locator('g.st-span.cause')).toHaveCount(2);
  // Their requests and replies are drawn boldly.
  expect(await page.locator('g.st-msg.cause').count()).toBeGreaterThanOrEqual(2);
  await expect(page.locator('.pill.cause')).toContainText('#1 read, #0 missed');
  await page.screenshot({ path: path.join(OUT, 'cause-stale-read-diagram.png') });
  // In the cluster picture, the nodes the operations went to and their clients are ringed.
  await page.getByRole('button', { name: 'cluster picture' }).click();
  expect(await page.locator('svg.cluster g.node.cause').count()).toBeGreaterThan(0);
  await expect(page.locator('svg.cluster g.client.cause')).toHaveCount(2);
  await page.screenshot({ path: path.join(OUT, 'cause-stale-read-cluster.png') });
  await page.getByRole('button', { name: 'Stop highlighting the cause' }).click();
  await expect(page.locator('svg.cluster g.node.cause')).toHaveCount(0);
  // The anomaly's line in the event log shows the same cause.
  await page.locator('.event-log li.c-anomaly button').first().click();
  await expect(page.locator('g.st-span.cause[data-op="0"]')).toHaveAttribute('data-cause', 'missed');
  await expect(page.locator('.pill.cause')).toContainText('#1 read, #0 missed');
  expect(errors, errors.join('\n')).toEqual([]);
});
