// Every phenomenon the README promises, reproduced BY CLICKING: strategy switch, radios,
// checkboxes, sliders, the client form, nodes and links in the picture. window.replicaLab is used
// only to control time (pause, seek forward instead of waiting in real time) and to assert on
// what happened; never apply() to cause anything. Each test saves
// target/e2e/phenomenon-<n>-<name>.png at the moment the phenomenon is on screen.
import { test, expect, type Page } from '@playwright/test';
import { watchErrors, boot, choose, state as getState, OUT } from './support';
import * as fs from 'fs';
import * as path from 'path';


type Anomaly = { t_us: number; anomaly: string; op?: number; nodes?: number[]; key?: string; writes?: number[] };
type Op = {
  id: number;
  client: number;
  type: 'write' | 'read';
  key: string;
  value?: string;
  node: number;
  invoke_us: number;
  complete_us: number | null;
  result: { status: string; value?: string | null; write?: number | null };
};
type NodeState = { id: number; role: string; up: boolean; epoch: number; last_lsn: number; hints: number };
type State = {
  time_us: number;
  strategy: string;
  nodes: NodeState[];
  messages: unknown[];
  history: Op[];
  anomalies: Anomaly[];
  settings: Record<string, unknown>;
  playing: boolean;
};

const state = (page: Page) => getState<State>(page);
const nowMs = async (page: Page) => (await state(page)).time_us / 1000;
/** Moves virtual time forward by `ms` (instead of waiting for it in real time). */
async function forward(page: Page, ms: number) {
  const t = await nowMs(page);
  await page.evaluate((to) => (window as any).replicaLab.seek(to), t + ms);
}

function shotPath(n: number, name: string): string {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `phenomenon-${n}-${name}.png`);
  fs.rmSync(file, { force: true });
  return file;
}




/** The play/pause button (the space key does the same). */
async function pause(page: Page) {
  const btn = page.getByRole('button', { name: 'Pause' });
  if (await btn.isVisible()) await btn.click();
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  await expect.poll(async () => (await state(page)).playing).toBe(false);
}

const controlsTab = (page: Page) => page.getByRole('tab', { name: 'Controls' }).click();
const resultsTab = (page: Page) => page.getByRole('tab', { name: /^Results/ }).click();
const node = (page: Page, id: number) => page.locator(`svg.cluster g.node[data-node="${id}"]`);

/** Turns the background traffic off, so only the reader's own clicks write and read. */
async function quiet(page: Page) {
  await controlsTab(page);
  const box = page.getByLabel('Clients write and read on their own');
  await box.uncheck();
  await expect(box).not.toBeChecked();
}

/** Drags a range slider (by id) to a value; the page acts when it is released. */
async function slide(page: Page, id: string, value: number, shown: string) {
  await controlsTab(page);
  await page.locator(`input#${id}`).fill(String(value));
  await expect(page.locator(`output[for="${id}"]`)).toHaveText(shown);
}

/** Fills the client form and presses Write. `to` is the "Write to" choice (a node id) where there is one. */
async function write(page: Page, key: string, value: string, opts: { client?: number; to?: number } = {}) {
  await controlsTab(page);
  const form = page.locator('fieldset.client-form');
  await form.getByLabel('Client', { exact: true }).selectOption(String(opts.client ?? 0));
  await form.getByLabel('Key', { exact: true }).fill(key);
  await form.getByLabel('Value', { exact: true }).fill(value);
  if (opts.to !== undefined) await form.getByLabel('Write to').selectOption(String(opts.to));
  const before = (await state(page)).history.length;
  await form.getByRole('button', { name: 'Write', exact: true }).click();
  await expect.poll(async () => (await state(page)).history.length).toBe(before + 1);
  return before; // the new operation's id
}

/** Fills the client form and presses Read; `from` is a node id, 'leader' or 'nearest'. */
async function read(page: Page, key: string, from: number | 'leader' | 'nearest', client = 0) {
  await controlsTab(page);
  const form = page.locator('fieldset.client-form');
  await form.getByLabel('Client', { exact: true }).selectOption(String(client));
  await form.getByLabel('Key', { exact: true }).fill(key);
  await form.getByLabel('Read from').selectOption(String(from));
  const before = (await state(page)).history.length;
  await form.getByRole('button', { name: 'Read', exact: true }).click();
  await expect.poll(async () => (await state(page)).history.length).toBe(before + 1);
  return before;
}

/** Moves virtual time forward in `step` ms steps until `pred` holds (at most `limit` ms). */
async function advanceUntil(page: Page, pred: (s: State) => boolean, step: number, limit: number, what: string): Promise<State> {
  const start = await nowMs(page);
  for (;;) {
    const s = await state(page);
    if (pred(s)) return s;
    if (s.time_us / 1000 - start > limit) throw new Error(`not within ${limit} ms of virtual time: ${what}`);
    await page.evaluate((to) => (window as any).replicaLab.seek(to), s.time_us / 1000 + step);
  }
}

/** Clicks a node in the picture (Enter on the focused node if the click does not land). */
async function selectNode(page: Page, id: number) {
  await node(page, id).click({ timeout: 2000 }).catch(async () => {
    await node(page, id).focus();
    await page.keyboard.press('Enter');
  });
  await expect(page.getByRole('heading', { name: `n${id}`, exact: true })).toBeVisible();
}

/** Clicks the line between two nodes. A click on a message passing along it is the message's
 *  (it pins its label), so it tries a few points along the line, as a reader would. */
async function selectLink(page: Page, a: number, b: number) {
  const [x, y] = a < b ? [a, b] : [b, a];
  const line = page.locator(`svg.cluster g.link[data-link="${x}-${y}"] line.hit`);
  const heading = page.getByRole('heading', { name: `Link n${x} ↔ n${y}` });
  const ends = await line.evaluate((el: SVGLineElement) => {
    const m = el.getScreenCTM()!;
    const at = (px: number, py: number) => {
      const q = new DOMPoint(px, py).matrixTransform(m);
      return [q.x, q.y];
    };
    return [at(el.x1.baseVal.value, el.y1.baseVal.value), at(el.x2.baseVal.value, el.y2.baseVal.value)];
  });
  for (const f of [0.5, 0.3, 0.7, 0.4, 0.6, 0.22, 0.78, 0.35, 0.65]) {
    await page.mouse.click(ends[0][0] + f * (ends[1][0] - ends[0][0]), ends[0][1] + f * (ends[1][1] - ends[0][1]));
    if (await heading.isVisible()) return;
    await page.keyboard.press('Escape');
  }
  await expect(heading).toBeVisible();
}

/** Clicks a node in the picture, then its Crash / Restart button in the inspector. */
async function crash(page: Page, id: number) {
  await selectNode(page, id);
  await page.getByRole('button', { name: `Crash n${id}`, exact: true }).click();
  await expect(page.locator(`svg.cluster g.node.down[data-node="${id}"]`)).toHaveCount(1);
}
async function restart(page: Page, id: number) {
  await selectNode(page, id);
  await page.getByRole('button', { name: `Restart n${id}`, exact: true }).click();
  await expect(page.locator(`svg.cluster g.node.down[data-node="${id}"]`)).toHaveCount(0);
}

/** Leaderless: the home replicas of the key in focus, as the status pill names them. */
async function homesOnScreen(page: Page, key: string): Promise<number[]> {
  const pill = page.locator('.status .pill.focus');
  await expect(pill).toContainText(`${key} lives on`);
  const text = (await pill.innerText()).replace(/×/g, '');
  return [...text.matchAll(/n(\d+)/g)].map((m) => Number(m[1]));
}

const opResult = async (page: Page, id: number) => (await state(page)).history[id].result.status;

// ---------------------------------------------------------------------------------------------

test('1. stale read from an asynchronous follower', async ({ page }) => {
  const shot = shotPath(1, 'stale-follower-read');
  const errors = watchErrors(page);
  await boot(page);
  await pause(page);
  await quiet(page);
  await expect(page.getByLabel('asynchronous')).toBeChecked();
  const leader = (await state(page)).nodes.find((n) => n.up && n.role === 'leader')!;
  await expect(page.locator('.status')).toContainText(`leader n${leader.id}`);
  // Client c1 sits next to n1 (its line in the picture): a read from there is quick.
  const follower = leader.id === 1 ? 0 : 1;
  // Make the leader → follower link slow (400 ms each way, from the link's inspector): the
  // follower lags far behind, while the other follower keeps the leader's majority.
  await selectLink(page, leader.id, follower);
  await page.locator('.inspector').getByRole('button', { name: '400 ms', exact: true }).click();
  await expect(page.locator('.inspector')).toContainText('One-way latency 400 ms');
  await forward(page, 100);

  const w = await write(page, 'x', 'fresh');
  await advanceUntil(page, (s) => s.history[w].result.status === 'written', 1, 200, 'the write is acknowledged');
  const r = await read(page, 'x', follower, follower);
  const s = await advanceUntil(page, (s) => s.history[r].result.status === 'read', 1, 500, 'the read returns');
  expect(s.history[r].result.value ?? null).toBeNull();
  const stale = s.anomalies.find((a) => a.anomaly === 'stale-read' && a.op === r);
  expect(stale, JSON.stringify(s.anomalies)).toBeTruthy();
  await expect(page.locator('.status .pill.bad')).toContainText('anomal');
  await resultsTab(page);
  await expect(page.locator('ul.anomalies')).toContainText(`Stale read: read #${r} of x returned nothing, although write #${w}`);
  await expect(page.locator('table.ops tr.stale')).toContainText(`#${r}`);
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('2. a synchronous write stalls on a crashed follower, then times out as unknown', async ({ page }) => {
  const shot = shotPath(2, 'sync-stalled-follower');
  const errors = watchErrors(page);
  await boot(page);
  await pause(page);
  await quiet(page);
  await controlsTab(page);
  await page.getByLabel('synchronous', { exact: true }).check();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ mode: 'sync' });
  await forward(page, 200);
  const leader = (await state(page)).nodes.find((n) => n.up && n.role === 'leader')!;
  const follower = (leader.id + 2) % 3;
  await crash(page, follower);

  const w = await write(page, 'x', 'stuck');
  // Half a second later it is still waiting for the dead follower.
  await forward(page, 500);
  expect(await opResult(page, w)).toBe('pending');
  await resultsTab(page);
  await expect(page.locator('ul.fates li.pending')).toContainText(`#${w} x=stuck`);
  // The client gives up after its 1 s timeout: the write may or may not have happened.
  await expect.poll(async () => { await forward(page, 100); return opResult(page, w); }, { timeout: 15_000 }).toBe('indeterminate');
  await expect(page.locator('ul.fates li.unknown').filter({ hasText: `#${w} x=stuck` })).toContainText('unknown');
  await expect(page.locator('dl.summary .warn')).toContainText('unknown1');
  await expect(page.locator('table.ops')).toContainText('no answer within');
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('3. asynchronous failover loses acknowledged writes, and the page names them', async ({ page }) => {
  const shot = shotPath(3, 'async-failover-loss');
  const errors = watchErrors(page);
  await boot(page);
  await pause(page);
  await quiet(page);
  await expect(page.getByLabel('asynchronous')).toBeChecked();
  await forward(page, 300);
  const old = (await state(page)).nodes.find((n) => n.up && n.role === 'leader')!;

  const a = await write(page, 'x', 'doomed-1');
  const b = await write(page, 'y', 'doomed-2');
  // Both acknowledged at once (clients are a few ms from the leader) ...
  await advanceUntil(page, (s) => [a, b].every((op) => s.history[op].result.status === 'written'), 1, 200, 'both writes acknowledged');
  // ... while their replication is still on the wire (40 ms): cut the leader off, which drops it
  // on arrival (a crash alone does not: messages already sent still arrive), and crash it.
  await controlsTab(page);
  await page.getByRole('button', { name: 'Isolate the leader' }).click();
  await crash(page, old.id);
  const s = await advanceUntil(page, (s) => s.nodes.some((n) => n.up && n.role === 'leader' && n.id !== old.id), 50, 10_000, 'a new leader');
  const lost = s.anomalies.filter((x) => x.anomaly === 'lost-write').map((x) => x.op).sort();
  expect(lost, JSON.stringify(s.anomalies)).toEqual([a, b]);
  await controlsTab(page);
  await page.getByRole('button', { name: 'Heal all links' }).click();

  await expect(page.locator('.status .pill.bad')).toContainText('anomal');
  await resultsTab(page);
  await expect(page.locator('dl.summary .bad').first()).toContainText('lost2');
  for (const [op, kv] of [[a, 'x=doomed-1'], [b, 'y=doomed-2']] as const) {
    await expect(page.locator('ul.anomalies')).toContainText(`Lost write: write #${op} was acknowledged`);
    await expect(page.locator('ul.fates li.lost').filter({ hasText: `#${op} ${kv}` })).toContainText('LOST');
  }
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('4. split brain with fencing off: the isolated leader and the new one both take writes', async ({ page }) => {
  const shot = shotPath(4, 'split-brain');
  const errors = watchErrors(page);
  await boot(page);
  await controlsTab(page);
  await page.getByLabel('Fencing').uncheck();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ fencing: false });
  await pause(page);
  // Semi-synchronous (k = 1): the cut-off leader still takes writes but cannot confirm them. A
  // client lives beside its home node, so the clients on the old leader's side keep writing to
  // it, while those on the other side find their requests to it dropped, time out and find the
  // new leader, which takes their writes.
  await page.getByLabel('semi-synchronous').check();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ mode: 'semi-sync' });
  await slide(page, 'rate', 5, '5.0 /s');
  await forward(page, 500);
  const old = (await state(page)).nodes.find((n) => n.up && n.role === 'leader')!;
  const cutAt = await nowMs(page);
  await page.getByRole('button', { name: 'Isolate the leader' }).click();
  await expect(page.locator(`svg.cluster g.link.cut[data-link]`).first()).toBeVisible();

  await expect.poll(async () => {
    await forward(page, 250);
    return (await state(page)).anomalies.some((x) => x.anomaly === 'split-brain');
  }, { timeout: 20_000 }).toBe(true);
  // Let both sides take a few more writes.
  await forward(page, 1500);
  const s = await state(page);
  const leaders = s.nodes.filter((n) => n.up && n.role === 'leader');
  expect(leaders.map((n) => n.id)).toContain(old.id);
  expect(leaders.length).toBe(2);
  const fresh = leaders.find((n) => n.id !== old.id)!;
  const writesAt = (id: number) => s.history.filter((o) => o.type === 'write' && o.node === id && o.invoke_us / 1000 > cutAt);
  expect(writesAt(old.id).length).toBeGreaterThan(0);
  expect(writesAt(fresh.id).filter((o) => o.result.status === 'written').length).toBeGreaterThan(0);

  await expect(page.locator('svg.cluster g.node.leader')).toHaveCount(2);
  await resultsTab(page);
  await expect(page.locator('ul.anomalies')).toContainText('Split brain:');
  await expect(page.locator('ul.anomalies')).toContainText('accepted writes as leaders at the same time');
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('5. multi-leader: the same key written in two regions at once is a conflict', async ({ page }) => {
  const shot = shotPath(5, 'multi-leader-conflict');
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Multi-leader');
  await pause(page);
  await quiet(page);
  const a = await write(page, 'cart', 'milk', { client: 0, to: 0 });
  const b = await write(page, 'cart', 'eggs', { client: 1, to: 1 });
  await expect.poll(async () => {
    await forward(page, 50);
    return (await state(page)).anomalies.find((x) => x.anomaly === 'conflict')?.writes;
  }).toEqual([a, b]);
  await expect(page.locator('.status .pill.bad')).toContainText('anomal');
  await resultsTab(page);
  await expect(page.locator('ul.anomalies')).toContainText(`Conflict on cart: writes #${a} and #${b} did not see each other.`);
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('6. last write wins under clock skew discards the causally later write', async ({ page }) => {
  const shot = shotPath(6, 'lww-clock-skew');
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Multi-leader');
  await pause(page);
  await quiet(page);
  await expect(page.getByLabel('Concurrent writes')).toHaveValue(/last write wins/i);
  // n0's clock runs 800 ms ahead: select it, then drag "Clock of n0".
  await selectNode(page, 0);
  await controlsTab(page);
  await expect(page.locator('label[for="clock-skew"]')).toHaveText('Clock of n0');
  await slide(page, 'clock-skew', 800, '+800 ms');
  const first = await write(page, 'x', 'first', { client: 0, to: 0 });
  // Wait until region 1's leader has x=first, then write x there: it follows x=first causally.
  await expect.poll(async () => { await forward(page, 50); return opResult(page, first); }).toBe('written');
  await forward(page, 400);
  const second = await write(page, 'x', 'second', { client: 1, to: 1 });
  await expect.poll(async () => {
    await forward(page, 50);
    return (await state(page)).anomalies.find((x) => x.anomaly === 'discarded')?.op;
  }).toBe(second);
  const s = await state(page);
  expect(s.anomalies.filter((x) => x.anomaly === 'conflict')).toEqual([]);
  await resultsTab(page);
  await expect(page.locator('ul.anomalies')).toContainText(`Write #${second} discarded: an earlier write won: its timestamp was later (clock skew)`);
  await expect(page.locator('ul.fates li.lost').filter({ hasText: `#${second} x=second` })).toContainText('LOST');
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('7. leaderless with W = 1 and R = 1: a read right after a write is stale', async ({ page }) => {
  const shot = shotPath(7, 'leaderless-stale-read');
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Leaderless');
  await pause(page);
  await quiet(page);
  await page.getByRole('button', { name: 'Fewer write acknowledgements (W)' }).click();
  await page.getByRole('button', { name: 'Fewer read answers (R)' }).click();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ w: 1, r: 1 });
  await expect(page.locator('.status')).toContainText('W + R ≤ N: reads may be stale');
  // A first write of x shows where x lives (ringed, and named in the status bar).
  const w0 = await write(page, 'x', 'v0');
  const [a, b] = await homesOnScreen(page, 'x');
  await advanceUntil(page, (s) => s.history[w0].result.status === 'written', 5, 1000, 'first write');
  await forward(page, 500);
  // Slow the link between two of x's home replicas, then write through one, read through the other.
  await selectLink(page, a, b);
  await page.locator('.inspector').getByRole('button', { name: '400 ms', exact: true }).click();
  await expect(page.locator('.inspector')).toContainText('One-way latency 400 ms');
  const w = await write(page, 'x', 'new', { to: a });
  await advanceUntil(page, (s) => s.history[w].result.status === 'written', 1, 300, 'the write is acknowledged');
  const r = await read(page, 'x', b, 1);
  const s = await advanceUntil(page, (s) => s.history[r].result.status === 'read', 1, 300, 'the read returns');
  expect(s.history[r].result.value).toBe('v0');
  expect(s.anomalies.find((x) => x.anomaly === 'stale-read' && x.op === r), JSON.stringify(s.anomalies)).toBeTruthy();
  await expect(page.locator('.status .pill.bad')).toContainText('anomal');
  await resultsTab(page);
  await expect(page.locator('ul.anomalies')).toContainText(`Stale read: read #${r} of x returned v0 (write #${w0})`);
  await expect(page.locator('table.ops tr.stale')).toContainText(`#${r}`);
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('8. sloppy quorum: a stand-in holds a hint for a crashed home replica and hands it off', async ({ page }) => {
  const shot = shotPath(8, 'hinted-handoff');
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Leaderless');
  await controlsTab(page);
  await page.getByLabel('Sloppy quorum + hinted handoff').check();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ sloppy: true });
  await pause(page);
  await quiet(page);
  // W = N = 3: a write needs every home replica, or a stand-in for a silent one.
  await page.getByRole('button', { name: 'More write acknowledgements (W)' }).click();
  await expect.poll(async () => (await state(page)).settings).toMatchObject({ w: 3 });
  const w0 = await write(page, 'x', 'v1');
  const homes = await homesOnScreen(page, 'x');
  await expect.poll(async () => { await forward(page, 20); return opResult(page, w0); }).toBe('written');
  const coordinator = (await state(page)).history[w0].node;
  const down = homes.find((h) => h !== coordinator)!;
  await crash(page, down);

  const w = await write(page, 'x', 'v2');
  await expect.poll(async () => { await forward(page, 50); return opResult(page, w); }).toBe('written');
  const holders = (await state(page)).nodes.filter((n) => n.hints > 0);
  expect(holders.length).toBe(1);
  const standIn = holders[0].id;
  expect(homes).not.toContain(standIn);
  await expect(node(page, standIn).locator('.hint-badge')).toHaveText('1 hint');
  await selectNode(page, standIn);
  await expect(page.locator('.inspector .facts')).toContainText('holds 1 hinted writes for others');
  await page.screenshot({ path: shot });

  await restart(page, down);
  await expect.poll(async () => { await forward(page, 100); return (await state(page)).nodes[standIn].hints; }).toBe(0);
  await expect(page.locator('svg.cluster .hint-badge')).toHaveCount(0);
  // The event log, with messages shown, has the hand-off; the home replica now holds v2.
  await page.getByRole('button', { name: 'Messages', exact: true }).click();
  await expect(page.locator('.event-log')).toContainText(new RegExp(`n${standIn} → n${down} hint: hand-off: store x=v2`));
  await selectNode(page, down);
  await expect(page.locator('.inspector table.data')).toContainText('v2');
  await page.screenshot({ path: shotPath(8, 'hinted-handoff-after') });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('9. read repair: a replica that missed a write while down is repaired by a read', async ({ page }) => {
  const shot = shotPath(9, 'read-repair');
  const errors = watchErrors(page);
  await boot(page);
  await choose(page, 'Leaderless');
  await pause(page);
  await quiet(page);
  await expect(page.getByLabel('Read repair')).toBeChecked();
  await expect(page.getByLabel('Anti-entropy', { exact: true })).not.toBeChecked();
  const w0 = await write(page, 'x', 'old');
  const homes = await homesOnScreen(page, 'x');
  await expect.poll(async () => { await forward(page, 100); return opResult(page, w0); }).toBe('written');
  await forward(page, 300);
  const coordinator = (await state(page)).history[w0].node;
  const down = homes.find((h) => h !== coordinator)!;
  await crash(page, down);
  const w = await write(page, 'x', 'new');
  await expect.poll(async () => { await forward(page, 50); return opResult(page, w); }).toBe('written');
  await forward(page, 300);
  await restart(page, down);
  // Back up, it still has the old value: x differs between nodes.
  await expect(page.locator('.inspector table.data tr.diverged')).toContainText('old');

  const r = await read(page, 'x', 'leader');
  await expect.poll(async () => { await forward(page, 50); return opResult(page, r); }).toBe('read');
  await forward(page, 300);
  expect((await state(page)).history[r].result.value).toBe('new');
  await page.getByRole('button', { name: 'Messages', exact: true }).click();
  await expect(page.locator('.event-log')).toContainText(new RegExp(`→ n${down} repair: read repair: store x=new`));
  await selectNode(page, down);
  const row = page.locator('.inspector table.data tbody tr').filter({ hasText: /^x/ });
  await expect(row).toContainText('new');
  await expect(row).not.toContainText('old');
  await page.screenshot({ path: shot });
  expect(errors, errors.join('\n')).toEqual([]);
});
