// The visualizer end to end: it plays on load, a crashed leader is replaced, scrubbing back
// restores an earlier state, the keyboard works, acting in the past says so, and a phone-sized
// screen does not scroll sideways. Long stretches of virtual time are crossed with
// window.replicaLab.seek() rather than by waiting in real time.
import { test, expect, type Page } from '@playwright/test';
import { watchErrors, boot, state as getState, call, OUT } from './support';
import * as path from 'path';


type NodeState = { id: number; role: string; up: boolean; epoch: number; last_lsn: number };
type State = {
  time_us: number;
  mode: string;
  nodes: NodeState[];
  messages: { id: number; kind: string }[];
  cut: [number, number][];
  history: unknown[];
  anomalies: unknown[];
  playing: boolean;
  speed: number;
  max_time_us: number;
};

const state = (page: Page) => getState<State>(page);



const leaderOf = (s: State) => s.nodes.find((n) => n.up && n.role === 'leader');

test('first load plays: virtual time advances and messages are in flight', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  const first = await state(page);
  expect(first.playing).toBe(true);
  await page.waitForFunction(
    (t0) => (window as any).replicaLab.getState().time_us > t0 + 20_000,
    first.time_us,
    { timeout: 10_000 },
  );
  await page.waitForFunction(() => (window as any).replicaLab.getState().messages.length > 0, undefined, {
    timeout: 10_000,
  });
  // The clock on screen moves with it.
  await expect(page.locator('.clock')).not.toHaveText(/t = 0\.0 ms/);
  await expect(page.locator('canvas.messages')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await page.screenshot({ path: path.join(OUT, 'visualizer-desktop.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('crashing the leader from its inspector leads to a new leader (async followers)', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await call(page, 'pause');
  // Let the first leader settle in and some writes happen.
  await call(page, 'seek', 700);
  await page.getByLabel('asynchronous').check();
  await expect.poll(async () => (await state(page)).mode).toContain('asynchronous');

  const before = await state(page);
  const old = leaderOf(before);
  expect(old, 'a leader before the crash').toBeTruthy();

  await page.locator(`svg.cluster g.node[data-node="${old!.id}"]`).click();
  await expect(page.getByRole('heading', { name: `n${old!.id}`, exact: true })).toBeVisible();
  await page.getByRole('button', { name: `Crash n${old!.id}`, exact: true }).click();

  const crashed = await state(page);
  expect(crashed.nodes[old!.id].up).toBe(false);
  await expect(page.locator(`svg.cluster g.node.down[data-node="${old!.id}"]`)).toHaveCount(1);
  await expect(page.getByRole('button', { name: `Restart n${old!.id}`, exact: true })).toBeVisible();

  // Three virtual seconds are plenty for an election.
  await call(page, 'seek', crashed.time_us / 1000 + 3000);
  const after = await state(page);
  const next = leaderOf(after);
  expect(next, 'a new leader after the crash').toBeTruthy();
  expect(next!.id).not.toBe(old!.id);
  expect(next!.epoch).toBeGreaterThan(old!.epoch);
  await expect(page.locator('svg.cluster g.node.leader')).toHaveAttribute('data-node', String(next!.id));
  await expect(page.locator('.status')).toContainText(`leader n${next!.id}`);
  await page.screenshot({ path: path.join(OUT, 'visualizer-failover.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('scrubbing the timeline back restores the earlier state exactly', async ({ page }) => {
  await boot(page);
  await call(page, 'pause');
  await call(page, 'seek', 800);
  const earlier = await state(page);
  await call(page, 'seek', 2500);
  const later = await state(page);
  expect(later.time_us).toBe(2_500_000);
  expect(later.history.length).toBeGreaterThan(earlier.history.length);

  // Drag the scrubber back to 800 ms.
  await page.locator('input.scrubber').fill('800');
  const back = await state(page);
  expect(back.time_us).toBe(800_000);
  expect(back.nodes).toEqual(earlier.nodes);
  expect(back.messages).toEqual(earlier.messages);
  expect(back.history).toEqual(earlier.history);
  // The future is still there to go back to.
  expect(back.max_time_us).toBe(2_500_000);
  await expect(page.locator('.clock')).toContainText('800.0 ms');
});

test('acting in the past drops the later actions and says so', async ({ page }) => {
  await boot(page);
  await call(page, 'pause');
  await call(page, 'seek', 300);
  expect(await call(page, 'apply', { do: 'crash', node: 2 })).toEqual({ ok: true });
  await call(page, 'seek', 900);
  await call(page, 'seek', 100);
  expect(await call(page, 'apply', '{"do":"set-loss","loss":0.1}')).toEqual({ ok: true });
  await expect(page.locator('.notice')).toContainText('1 later action dropped: you changed the past');
  const s = await state(page);
  expect(s.max_time_us).toBeLessThan(200_000);
  // Bad input is an error value, never an exception.
  const bad = (await call(page, 'apply', { do: 'crash', node: 99 })) as { ok: boolean; error: string };
  expect(bad.ok).toBe(false);
  expect(bad.error).toContain('node 99');
  expect(((await call(page, 'apply', 'not json')) as { ok: boolean }).ok).toBe(false);
  expect(((await call(page, 'apply', { do: 'explode' })) as { ok: boolean }).ok).toBe(false);
});

test('keyboard: space plays and pauses, → steps, ? opens help', async ({ page }) => {
  await boot(page);
  expect((await state(page)).playing).toBe(true);
  await page.locator('body').press('Space');
  await expect.poll(async () => (await state(page)).playing).toBe(false);
  await page.keyboard.press('Space');
  await expect.poll(async () => (await state(page)).playing).toBe(true);

  await page.keyboard.press('Space');
  const t0 = (await state(page)).time_us;
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const t1 = (await state(page)).time_us;
  expect(t1).toBeGreaterThanOrEqual(t0);
  expect((await state(page)).playing).toBe(false);

  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

/** Coloured pixels on the message canvas, and where the first message dot is (page pixels). */
async function canvasScan(page: Page) {
  return page.evaluate(() => {
    const c = document.querySelector('canvas.messages') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const dpr = c.width / c.clientWidth;
    const r = c.getBoundingClientRect();
    let painted = 0;
    let dot: { x: number; y: number } | null = null;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      painted++;
      const hi = Math.max(d[i], d[i + 1], d[i + 2]);
      const lo = Math.min(d[i], d[i + 1], d[i + 2]);
      if (!dot && d[i + 3] > 250 && hi - lo > 80) {
        const p = i / 4;
        // A few pixels into the dot from its top-left edge.
        dot = { x: r.left + (p % c.width) / dpr + 2.5, y: r.top + Math.floor(p / c.width) / dpr + 2.5 };
      }
    }
    return { painted, dot };
  });
}

test('hovering a message on the canvas shows what it carries', async ({ page }) => {
  await boot(page);
  // Heartbeats are grey rings; wait for a coloured message (a write, replicate, ack...).
  await page.waitForFunction(
    () => (window as any).replicaLab.getState().messages.some((m: { kind: string }) => m.kind !== 'heartbeat'),
    undefined,
    { timeout: 15_000 },
  );
  await call(page, 'pause');
  await page.waitForTimeout(100);
  const before = await canvasScan(page);
  expect(before.painted).toBeGreaterThan(0);
  expect(before.dot).not.toBeNull();
  await page.mouse.move(before.dot!.x, before.dot!.y);
  const tip = page.locator('.msg-tip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText('→');
  await expect(tip).toContainText('arrives');
  // The message layer keeps drawing (with the hovered message ringed).
  await page.waitForTimeout(100);
  expect((await canvasScan(page)).painted).toBeGreaterThanOrEqual(before.painted);
  await page.screenshot({ path: path.join(OUT, 'visualizer-hover.png') });
});

test('a link can be cut one way from the picture and healed', async ({ page }) => {
  await boot(page);
  await call(page, 'pause');
  // At time 0 no message is half-way along a link yet (a click on a message is the message's).
  await call(page, 'seek', 0);
  await page.locator('svg.cluster g.link[data-link="0-1"] line.hit').click({ force: true });
  await page.getByRole('button', { name: 'Cut n0 → n1 only' }).click();
  await expect.poll(async () => (await state(page)).cut).toEqual([[0, 1]]);
  await expect(page.locator('svg.cluster g.link.half-cut[data-link="0-1"]')).toHaveCount(1);
  await page.getByRole('button', { name: 'Heal', exact: true }).click();
  await expect.poll(async () => (await state(page)).cut).toEqual([]);
});

test.describe('phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('renders without sideways scrolling and the controls are reachable', async ({ page }) => {
    const errors = watchErrors(page);
    await boot(page);
    await page.waitForFunction(() => (window as any).replicaLab.getState().time_us > 50_000);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
    await page.getByRole('tab', { name: 'Controls' }).click();
    await expect(page.getByRole('button', { name: 'Isolate the leader' })).toBeVisible();
    await page.screenshot({ path: path.join(OUT, 'visualizer-phone.png'), fullPage: true });
    expect(errors, errors.join('\n')).toEqual([]);
  });
});

test('a link can be made slow from the picture, and messages on it take longer', async ({ page }) => {
  await boot(page);
  await call(page, 'pause');
  await call(page, 'seek', 0);
  await page.locator('svg.cluster g.link[data-link="0-1"] line.hit').click({ force: true });
  await expect(page.locator('.inspector')).toContainText('One-way latency 40 ms');
  const slowButton = page.locator('.inspector').getByRole('button', { name: '400 ms', exact: true });
  await slowButton.click();
  await expect(page.locator('.inspector')).toContainText('One-way latency 400 ms');
  await expect(slowButton).toHaveAttribute('aria-pressed', 'true');
  // Every message from n0 to n1 sent from now on takes at least 400 ms; n0 to n2 stays fast.
  await call(page, 'seek', 2000);
  const s = await page.evaluate(() => (window as any).replicaLab.getState());
  const slow = s.messages.filter((m: any) => m.from.node === 0 && m.to.node === 1);
  const fast = s.messages.filter((m: any) => m.from.node === 0 && m.to.node === 2);
  expect(slow.length).toBeGreaterThan(0);
  for (const m of slow) expect(m.arrive_us - m.sent_us).toBeGreaterThanOrEqual(400_000);
  for (const m of fast) expect(m.arrive_us - m.sent_us).toBeLessThan(100_000);
});

test('the event log can show one node only', async ({ page }) => {
  await boot(page);
  await call(page, 'pause');
  await call(page, 'seek', 1500);
  const lines = page.locator('.event-log .log-lines li');
  await page.locator('.event-log').getByRole('button', { name: 'Messages' }).click();
  await expect.poll(async () => (await lines.allInnerTexts()).some((t) => /n0 → n1|n1 → n0/.test(t))).toBe(true);
  await page.getByLabel('Show events of one node').selectOption('2');
  await expect(page.getByLabel('Show events of one node')).toHaveValue('2');
  // Only n2's messages remain (replication to n2, its acks, its heartbeats), no other pair.
  await expect(lines.first()).toBeVisible();
  const texts = await lines.allInnerTexts();
  const messages = texts.filter((t) => /n\d → n\d/.test(t));
  expect(messages.length).toBeGreaterThan(0);
  for (const t of messages) expect(t).toMatch(/n2/);
  await page.getByLabel('Show events of one node').selectOption('all');
  await expect.poll(async () => (await lines.allInnerTexts()).some((t) => /n0 → n1|n1 → n0/.test(t))).toBe(true);
});

test('a follower added live catches up, and a write can be sent to a chosen node', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await call(page, 'pause');
  await call(page, 'seek', 1500);
  await page.getByRole('button', { name: 'Add a follower now' }).click();
  await expect(page.locator('svg.cluster g.node')).toHaveCount(4);
  await call(page, 'seek', 3000);
  const s = await state(page);
  const leader = leaderOf(s)!;
  expect(s.nodes[3].role).toBe('follower');
  expect(s.nodes[3].last_lsn).toBeGreaterThan(0);
  expect(s.nodes[3].last_lsn).toBeGreaterThanOrEqual(leader.last_lsn - 2);
  // A write sent to a follower is redirected to the leader and succeeds.
  await page.locator('#cf-key').fill('picked');
  await page.locator('#cf-to').selectOption('2');
  await page.getByRole('button', { name: 'Write', exact: true }).click();
  await call(page, 'seek', 3500);
  const after = await page.evaluate(() => (window as any).replicaLab.getState());
  const op = after.history.filter((o: any) => o.key === 'picked')[0];
  expect(op.result.status).toBe('written');
  expect(errors, errors.join('\n')).toEqual([]);
});
