// One definition per quantity: on the gallery's session-guarantees preset, every panel that counts
// stale reads or anomalies gives the engine's numbers (check's module docs), and they agree with
// the anomaly list the page exposes in getState().
import { test, expect, type Page } from '@playwright/test';
import * as path from 'path';
import { OUT, openStored, state, watchErrors } from './support';

type Anomaly = { t: number; anomaly: string; op?: number };
type S = { time_us: number; playing: boolean; anomalies: Anomaly[]; history: { id: number; result: any }[] };

async function open(page: Page, name: string) {
  await openStored(page, name);
  await expect.poll(async () => (await state<S>(page)).time_us).toBe(600_000);
}

test('session guarantees: the card, the table, the consistency tab and the anomaly line agree', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'session-guarantees');
  const s = await state<S>(page);
  expect(s.playing).toBe(false);
  // From the anomaly list: a stale read is a read flagged stale-read or read-your-writes, once.
  const staleKinds = ['stale-read', 'read-your-writes'];
  const stale = [...new Set(s.anomalies.filter((a) => staleKinds.includes(a.anomaly)).map((a) => a.op))].sort();
  const own = s.anomalies.filter((a) => a.anomaly === 'read-your-writes').length;
  const monotonic = s.anomalies.filter((a) => a.anomaly === 'monotonic-read').length;
  const reads = s.history.filter((o) => o.result?.status === 'read').length;
  expect(stale).toEqual([2, 4]);
  expect([own, monotonic, s.anomalies.length, reads]).toEqual([2, 1, 3, 3]);

  // The status bar and the Results tab count every anomaly.
  await expect(page.locator('.status .pill.bad')).toHaveText('3 anomalies');
  await page.getByRole('tab', { name: /^Results/ }).click();
  const results = page.locator('#panel-results');
  await expect(results.locator('h3', { hasText: 'Anomalies' })).toHaveText('Anomalies (3)');
  await expect(results.locator('ul.anomalies li')).toHaveCount(3);
  // The card: stale reads, and how many missed the reader's own write.
  const card = results.locator('.summary .stale-reads');
  await expect(card).toHaveAttribute('data-count', String(stale.length));
  await expect(card.locator('dd')).toHaveText(String(stale.length));
  await expect(results.locator('.stale-own')).toHaveText(`${own} of the ${stale.length} stale reads missed the reader's own write (read-your-writes).`);
  // The table marks exactly the stale reads, and names each read's anomalies.
  const marked = await results.locator('table.ops tr.stale').evaluateAll((rs) => rs.map((r) => Number((r as HTMLElement).dataset.op)).sort());
  expect(marked).toEqual(stale);
  await expect(results.locator('table.ops tr[data-op="2"] .flag')).toHaveText(['stale: own write']);
  await expect(results.locator('table.ops tr[data-op="4"] .flag')).toHaveText(['stale: own write', 'went back']);
  await expect(results.locator('table.ops tr[data-op="3"] .flag')).toHaveCount(0);
  await page.screenshot({ path: path.join(OUT, 'counts-session-guarantees-results.png') });
  await results.locator('table.ops').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'counts-session-guarantees-table.png') });

  // The Consistency tab: the share is the same count over the successful reads.
  await page.getByRole('tab', { name: 'Consistency' }).click();
  const share = page.locator('#panel-consistency #stale-share');
  await expect(share).toHaveAttribute('data-count', String(stale.length));
  await expect(share).toHaveAttribute('data-reads', String(reads));
  await expect(share).toHaveText(`${((100 * stale.length) / reads).toFixed(1)}% (${stale.length} of ${reads} reads)`);
  const line = page.locator('#panel-consistency #anomaly-counts');
  await expect(line).toHaveAttribute('data-count', String(s.anomalies.length));
  await expect(line).toHaveAttribute('data-stale', String(stale.length));
  await expect(line).toContainText(`3 in all: ${stale.length} stale reads (${own} of them read-your-writes) · ${monotonic} monotonic reads broken`);
  await line.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'counts-session-guarantees-consistency.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});

// Elections fit the network: at 250 ms a 300 ms election timeout could not keep a leader, so the
// engine raises it (its documented rule) and the latency controls say so.
test('a slow network raises the election timeout, and the controls say so', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await page.waitForFunction(() => typeof (window as any).replicaLab?.apply === 'function');
  await expect(page.locator('#election-note')).toHaveCount(0);
  await page.evaluate(() => (window as any).replicaLab.apply({ do: 'set-latency', latency_ms: 250, jitter_ms: 10 }));
  const note = page.locator('#election-note');
  await expect(note).toContainText('election timeout raised to');
  await expect(note).toContainText('fit latency 260 ms');
  await note.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'election-note.png') });
  expect(errors, errors.join('\n')).toEqual([]);
});
