// The three strategies end to end: the switch at the top of the controls restarts the run as
// multi-leader or leaderless, the picture groups nodes by region or rings a key's home replicas,
// and the phenomena each strategy is known for show up as anomalies in window.replicaLab.
import { test, expect, type Page } from '@playwright/test';
import { watchErrors, boot, choose, state as getState, call, OUT } from './support';
import * as path from 'path';


type Anomaly = { t_us: number; anomaly: string; op?: number };
type State = {
  time_us: number;
  strategy: string;
  nodes: { id: number; role: string; up: boolean; region: number | null; hints: number }[];
  history: { id: number; result: { status: string } }[];
  anomalies: Anomaly[];
  settings: Record<string, unknown>;
};

const state = (page: Page) => getState<State>(page);




test('switching to multi-leader shows three leaders, each in its own region', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Multi-leader');
  const s = await state(page);
  expect(s.strategy).toBe('multi-leader');
  expect(s.settings).toMatchObject({ kind: 'multi-leader', regions: 3, followers: 0, topology: 'all-to-all', resolution: 'last-write-wins' });
  const leaders = s.nodes.filter((n) => n.role === 'leader');
  expect(leaders.map((n) => n.region)).toEqual([0, 1, 2]);
  await expect(page.locator('svg.cluster g.region')).toHaveCount(3);
  await expect(page.locator('svg.cluster g.node.leader')).toHaveCount(3);
  await expect(page.locator('svg.cluster g.region text')).toHaveText(['region 0', 'region 1', 'region 2']);
  // Followers join their leader's region; the topology is drawn between leaders only.
  await page.getByRole('button', { name: 'More followers per region (starts over)' }).click();
  await page.getByLabel('Leaders replicate').selectOption('circular');
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ followers: 1, topology: 'circular' });
  await expect(page.locator('svg.cluster g.node')).toHaveCount(6);
  await expect(page.locator('svg.cluster .flows line')).toHaveCount(3);
  await call(page, 'seek', 2500);
  await page.screenshot({ path: path.join(OUT, 'multi-leader-desktop.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('multi-leader, last write wins and a skewed clock: a causally later write is discarded', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await page.keyboard.press('2');
  await expect.poll(async () => (await state(page)).strategy).toBe('multi-leader');
  await call(page, 'pause');
  await call(page, 'apply', { do: 'stop-workload' });
  // n0's clock runs 800 ms ahead: its writes look newer than they are.
  await page.locator('svg.cluster g.node[data-node="0"]').click();
  await page.getByRole('tab', { name: 'Controls' }).click();
  await call(page, 'apply', { do: 'set-clock', node: 0, skew_ms: 800, drift_ppm: 0 });
  await expect(page.locator('output[for="clock-skew"]')).toHaveText('+800 ms');
  expect((await call(page, 'apply', { do: 'write', client: 0, key: 'x', value: 'first', node: 0 })).ok).toBe(true);
  await call(page, 'seek', 400);
  // n1 has seen x=first by now; its write follows it causally but carries an earlier timestamp.
  expect((await call(page, 'apply', { do: 'write', client: 1, key: 'x', value: 'second', node: 1 })).ok).toBe(true);
  await call(page, 'seek', 1500);
  const s = await state(page);
  const discarded = s.anomalies.filter((a) => a.anomaly === 'discarded');
  expect(discarded.length, JSON.stringify(s.anomalies)).toBeGreaterThan(0);
  await page.getByRole('tab', { name: /Results/ }).click();
  await expect(page.locator('ul.anomalies')).toContainText('discarded');
  await expect(page.locator('ul.anomalies')).toContainText('clock skew');
  await page.screenshot({ path: path.join(OUT, 'multi-leader-discarded.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('leaderless with W = 1 and R = 1: the workload soon reads stale data', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Leaderless');
  await call(page, 'pause');
  let s = await state(page);
  expect(s.settings).toMatchObject({ kind: 'leaderless', n: 3, w: 2, r: 2, read_repair: true, sloppy: false, anti_entropy_ms: 0 });
  expect(s.nodes).toHaveLength(5);
  expect(s.nodes.every((n) => n.role === 'replica')).toBe(true);
  await page.getByRole('button', { name: 'Fewer write acknowledgements (W)' }).click();
  await page.getByRole('button', { name: 'Fewer read answers (R)' }).click();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ w: 1, r: 1 });
  await expect(page.locator('.status')).toContainText('W + R ≤ N');
  // Writing a key by hand rings its three home replicas.
  await page.getByLabel('Key', { exact: true }).fill('k1');
  await page.getByRole('button', { name: 'Write', exact: true }).click();
  await expect(page.locator('svg.cluster g.node.home')).toHaveCount(3);
  await expect(page.locator('.status .pill.focus')).toContainText('k1 lives on');
  // Busy clients on one key: reads often follow writes closely.
  await call(page, 'apply', { do: 'workload', write_every_ms: 200, read_every_ms: 100, keys: 1 });
  let t = 1000;
  for (; t <= 20_000; t += 1000) {
    await call(page, 'seek', t);
    s = await state(page);
    if (s.anomalies.some((a) => a.anomaly === 'stale-read')) break;
  }
  expect(s.anomalies.map((a) => a.anomaly)).toContain('stale-read');
  await page.screenshot({ path: path.join(OUT, 'leaderless-desktop.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test.describe('phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });
  for (const name of ['Multi-leader', 'Leaderless'] as const) {
    test(`${name}: no sideways scrolling`, async ({ page }) => {
      const errors = watchErrors(page);
      await boot(page);
      await choose(page, name);
      await call(page, 'seek', 1500);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(OUT, `${name.toLowerCase()}-phone.png`), fullPage: true });
      expect(errors, errors.join('\n')).toEqual([]);
    });
  }
});
