// Every preset in the gallery is a link like any other: opening it lands paused on the preset's
// moment, with its caption, and shows the phenomenon it is named after.
import { test, expect, type Page } from '@playwright/test';
import * as path from 'path';
import * as zlib from 'zlib';
import { OUT, state, watchErrors, boot } from './support';

/** The link's own moment, read with the test's decoder (raw deflate + base64url, as the format says). */
function momentOf(href: string): number {
  const body = href.slice(href.indexOf('#') + 1);
  const json = JSON.parse(zlib.inflateRawSync(Buffer.from(body.slice(2), 'base64url')).toString('utf8'));
  return Math.round(json.view.at_ms * 1000);
}

type S = any;
const anomaly = (kind: string) => (s: S) => s.anomalies.some((a: any) => a.anomaly === kind);
const none = (s: S) => s.anomalies.length === 0;
/** The event log, messages included, names what happened. */
const logSays = (re: RegExp) => async (page: Page) => {
  const chip = page.locator('.event-log button.chip', { hasText: 'Messages' });
  if ((await chip.getAttribute('aria-pressed')) !== 'true') await chip.click();
  return re.test(await page.locator('.event-log').innerText());
};

/** What each preset must show at its moment (state, or the page's event log). */
const shows: Record<string, (s: S, page: Page) => boolean | Promise<boolean>> = {
  'stale-follower-read': anomaly('stale-read'),
  'sync-stalled-write': (s) => s.history.some((o: any) => o.type === 'write' && o.result.status === 'indeterminate'),
  'async-failover-loss': anomaly('lost-write'),
  'semi-sync': (s) => none(s) && !s.nodes[1].up && s.nodes[2].sync === true,
  'split-brain': anomaly('split-brain'),
  'multi-leader-conflict': anomaly('conflict'),
  'lww-clock-skew': anomaly('discarded'),
  'circular-topology-broken': anomaly('stale-read'),
  'quorum-read-after-write': (s) => {
    const w = s.history.find((o: any) => o.type === 'write');
    const r = s.history.find((o: any) => o.type === 'read');
    return none(s) && r?.result.status === 'read' && r.result.value === w.value;
  },
  'weak-quorum-stale-read': anomaly('stale-read'),
  'hinted-handoff': (_s, page) => logSays(/hand/i)(page),
  'sloppy-quorum-stale-read': (s) => anomaly('stale-read')(s) && s.nodes.some((n: any) => n.hints > 0),
  'read-repair': (_s, page) => logSays(/repair/i)(page),
  'anti-entropy': (_s, page) => logSays(/anti-entropy/i)(page),
  'update-overtakes-insert': anomaly('out-of-order'),
  'session-guarantees': (s) => anomaly('read-your-writes')(s) && anomaly('monotonic-read')(s),
  'consistent-prefix': anomaly('consistent-prefix'),
};

test('the gallery opens every preset on its moment, showing its phenomenon', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = watchErrors(page);
  await boot(page);
  await page.getByRole('button', { name: 'Gallery' }).click();
  const cards = page.locator('.card');
  const presets = await cards.evaluateAll((cs) =>
    cs.map((c) => [(c as HTMLElement).dataset.preset!, c.querySelector('a')!.getAttribute('href')!]),
  );
  expect(presets.length).toBeGreaterThanOrEqual(13);
  // Every phenomenon the gallery promises has a check here, and every check a preset.
  expect(presets.map(([id]) => id).sort()).toEqual(Object.keys(shows).sort());
  let first = true;
  for (const [id, href] of presets) {
    expect(href.length, id).toBeLessThan(2000);
    if (first) {
      // The first by clicking, as a reader would; the rest by address.
      await page.locator(`.card[data-preset="${id}"] a`).click();
      first = false;
    } else {
      await page.goto('/' + href);
    }
    await page.waitForFunction(() => typeof (window as any).replicaLab?.getState === 'function');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect.poll(async () => (await state(page)).time_us, { message: id }).toBe(momentOf(href));
    const s = await state(page);
    expect(s.playing, id).toBe(false);
    await expect(page.locator('.stage-caption'), id).toBeVisible();
    expect(await shows[id](s, page), `${id} shows its phenomenon`).toBe(true);
    if (id === 'async-failover-loss') await page.screenshot({ path: path.join(OUT, `preset-${id}.png`) });
  }
  expect(errors).toEqual([]);
});
