// Scenario links, the share dialog, exports and import, in the built page.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { OUT, state, call, watchErrors, boot } from './support';

/** A link body as the format defines it: "1." + base64url(raw deflate(JSON)). */
function link(body: unknown, tag = '1'): string {
  const packed = zlib.deflateRawSync(Buffer.from(JSON.stringify(body)), { level: 9 });
  return `${tag}.${packed.toString('base64url')}`;
}

/** Reads a link body back (the test's own decoder, independent of the page's). */
function unlink(body: string): any {
  const data = body.slice(body.indexOf('.') + 1);
  return JSON.parse(zlib.inflateRawSync(Buffer.from(data, 'base64url')).toString('utf8'));
}

/** A link whose schedule holds `n` actions (10 million: about 450 MB of JSON before compression). */
function hugeScheduleLink(n: number): string {
  const entry = '{"at_ms":5,"do":"read","client":0,"key":"k"}';
  const block = Buffer.from(Array.from({ length: 100_000 }, () => entry).join(',') + ',');
  const parts = [Buffer.from('{"v":1,"scenario":{"version":1,"schedule":[')];
  for (let i = 0; i < n / 100_000; i++) parts.push(block);
  parts.push(Buffer.from(entry + ']}}'));
  return '1.' + zlib.deflateRawSync(Buffer.concat(parts), { level: 1 }).toString('base64url');
}

const fragment = (page: Page) => page.evaluate(() => location.hash.slice(1));

/** Opens a link and waits for the page to be ready. */
async function open(page: Page, frag: string, query = '') {
  await page.goto(`/${query}#${frag}`);
  await page.waitForFunction(() => typeof (window as any).replicaLab?.getState === 'function');
}

const DEFAULT = { nodes: 3, strategy: 'single-leader' };

test('a link opens paused on its moment, node and view', async ({ page }) => {
  const errors = watchErrors(page);
  const scenario = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'engine', 'testdata', 'golden', 'async-failover-loss.json'), 'utf8'),
  );
  await open(page, link({ v: 1, scenario, view: { at_ms: 1500, node: 2 } }));
  const s = await state(page);
  expect(s.time_us).toBe(1_500_000);
  expect(s.playing).toBe(false);
  expect(s.anomalies.map((a: any) => a.anomaly)).toContain('lost-write');
  await expect(page.getByRole('tab', { name: 'Inspect n2' })).toHaveAttribute('aria-selected', 'true');
  // The caption for that stretch of the run is on the stage.
  await expect(page.locator('.stage-caption')).toBeVisible();
  expect(errors).toEqual([]);
});

test('bad links show a banner and the default scenario, never markup', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = watchErrors(page);
  const good = link({ v: 1, scenario: { version: 1, nodes: 5 } });
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const cases: [string, RegExp][] = [
    [good.slice(0, good.length - 7), /truncated|corrupted/],
    [good.slice(0, 6) + '!!!*' + good.slice(10), /corrupted|not valid base64url/],
    ['9.' + good.slice(2), /newer version/],
    ['hello', /not a Replica Lab scenario link/],
    [link({ v: 1, scenario: { version: 1, nodes: 10000 } }), /10000|25/],
    [
      link({
        v: 1,
        scenario: {
          version: 1,
          schedule: Array.from({ length: 20001 }, () => ({ at_ms: 5, do: 'read', client: 0, key: 'k' })),
        },
      }),
      /20[,.]?000|schedule/,
    ],
    [link({ v: 1, scenario: { version: 1, nodes: `${hostile}` } }), /invalid/],
    ['1.' + 'A'.repeat(70_000), /limit|long/],
  ];
  for (const [frag, why] of cases) {
    await open(page, frag);
    const banner = page.getByRole('alert');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('could not be opened');
    await expect(banner).toContainText(why);
    // Text, never markup: the banner holds no elements from the link.
    expect(await banner.locator('img, script').count()).toBe(0);
    const s = await state(page);
    expect({ nodes: s.nodes.length, strategy: s.settings.kind }).toEqual(DEFAULT);
  }
  // Ten million actions: about 3.4 MB of link, longer than Chromium lets a URL be, so it arrives
  // the other way a link can, as a text file; the same decoder refuses it at once.
  await page.getByRole('button', { name: 'Share' }).click();
  await page.getByLabel('Scenario file').setInputFiles({ name: 'huge-link.txt', mimeType: 'text/plain', buffer: Buffer.from(hugeScheduleLink(10_000_000)) });
  await expect(page.getByRole('alert')).toContainText(/huge-link.txt could not be opened: the link is too long/);
  expect((await state(page)).nodes.length).toBe(3);
  // Hostile text inside a valid scenario is shown as text.
  const caption = `${hostile} <b>bold</b>`;
  await open(
    page,
    link({
      v: 1,
      scenario: { version: 1, schedule: [{ at_ms: 10, do: 'caption', text: caption }, { at_ms: 20, do: 'write', client: 0, key: hostile, value: '<script>x</script>' }] },
      view: { at_ms: 500 },
    }),
  );
  await expect(page.locator('.stage-caption')).toContainText(caption);
  expect(await page.locator('.stage-caption img, .stage-caption b').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('every malformed golden link gives the engine\'s own message in the banner', async ({ page }) => {
  const dir = path.join(__dirname, '..', 'engine', 'testdata', 'links');
  const bad = fs.readdirSync(dir).filter((f) => f.startsWith('bad-') && f.endsWith('.link'));
  expect(bad.length).toBeGreaterThanOrEqual(8);
  for (const file of bad) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8').trim();
    const expected = fs.readFileSync(path.join(dir, file.replace(/\.link$/, '.expected')), 'utf8').trim();
    const message = expected.replace(/^error: /, '');
    const body = text.includes('#') ? text.slice(text.indexOf('#') + 1) : text;
    if (body === '') continue; // An empty fragment is the plain page: nothing to complain about.
    await open(page, body);
    await expect(page.getByRole('alert'), file).toContainText(message);
    expect((await state(page)).nodes.length, file).toBe(3);
  }
});

test('copy link round trip: the copied link opens on the same state', async ({ page, context, browser }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const errors = watchErrors(page);
  await boot(page);
  await call(page, 'apply', { do: 'crash', node: 0 });
  await call(page, 'seek', 1200);
  await call(page, 'pause');
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this moment' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await expect(dialog.getByText('Copied ✓')).toBeVisible();
  const url = await page.evaluate(() => navigator.clipboard.readText());
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#1\./);
  expect(url.length).toBeLessThan(2000);
  const before = await state(page);
  const other = await browser.newPage();
  await other.goto(url);
  await other.waitForFunction(() => typeof (window as any).replicaLab?.getState === 'function');
  const after = await state(other);
  expect(after.time_us).toBe(before.time_us);
  expect(after.nodes).toEqual(before.nodes);
  expect(after.history).toEqual(before.history);
  expect(unlink(url.split('#')[1]).scenario.schedule[0].do).toBe('crash');
  await other.close();
  expect(errors).toEqual([]);
});

test('back and forward move between the states the reader created', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await call(page, 'pause');
  await call(page, 'apply', { do: 'crash', node: 1 });
  await expect.poll(() => fragment(page)).toMatch(/^1\./);
  await call(page, 'apply', { do: 'crash', node: 2 });
  await expect.poll(async () => unlink(await fragment(page)).scenario.schedule?.length).toBe(2);
  const down = async () => (await state(page)).nodes.filter((n: any) => !n.up).map((n: any) => n.id);
  expect(await down()).toEqual([1, 2]);
  await page.goBack();
  await expect.poll(down).toEqual([1]);
  await page.goBack();
  await expect.poll(async () => unlink(await fragment(page)).scenario.schedule?.length ?? 0).toBe(0);
  await page.goForward();
  await expect.poll(down).toEqual([1]);
  expect(errors).toEqual([]);
});

test('exports: the cluster SVG opens, the history JSON has every fate', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await boot(page);
  await call(page, 'seek', 900);
  await call(page, 'pause');
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  const [svgDownload] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Cluster SVG' }).click(),
  ]);
  const svgFile = path.join(OUT, 'export-cluster.svg');
  fs.rmSync(svgFile, { force: true });
  await svgDownload.saveAs(svgFile);
  const svg = fs.readFileSync(svgFile, 'utf8');
  expect(svg).toContain('<svg');
  const viewer = await browser.newPage();
  await viewer.goto('file://' + svgFile);
  // A standalone document that the browser parses as SVG, with the nodes and the messages.
  expect(await viewer.evaluate(() => document.documentElement.tagName)).toBe('svg');
  expect(await viewer.locator('g.node').count()).toBe(3);
  expect(await viewer.locator('g.messages circle').count()).toBeGreaterThan(0);
  await viewer.screenshot({ path: path.join(OUT, 'export-cluster.png') });
  await viewer.close();

  const [pngDownload] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Cluster PNG' }).click(),
  ]);
  const png = fs.readFileSync((await pngDownload.path())!);
  expect(png.subarray(1, 4).toString()).toBe('PNG');

  const [diagram] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Diagram SVG' }).click(),
  ]);
  expect(fs.readFileSync((await diagram.path())!, 'utf8')).toContain('st-lane');

  const [history] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'History + fates (JSON)' }).click(),
  ]);
  const h = JSON.parse(fs.readFileSync((await history.path())!, 'utf8'));
  expect(h.scenario.version).toBe(1);
  expect(h.history.length).toBeGreaterThan(0);
  const writes = h.history.filter((o: any) => o.type === 'write');
  expect(writes.length).toBeGreaterThan(0);
  expect(h.fates.length).toBe(writes.length);
  expect(errors).toEqual([]);
});

test('importing a scenario file (chosen or dropped) opens it', async ({ page }) => {
  const errors = watchErrors(page);
  await boot(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const file = path.join(__dirname, '..', 'engine', 'testdata', 'golden', 'ml-siblings-merge.json');
  await page.getByLabel('Scenario file').setInputFiles(file);
  await expect.poll(async () => (await state(page)).settings.kind).toBe('multi-leader');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Dropped anywhere on the page, a file holding a link opens too.
  const dropped = fs.readFileSync(path.join(__dirname, '..', 'engine', 'testdata', 'links', 'hinted-handoff.link'), 'utf8');
  await page.keyboard.press('Escape');
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'handoff.txt', { type: 'text/plain' }));
    const target = document.querySelector('svg.cluster')!;
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, dropped);
  await expect.poll(async () => (await state(page)).settings.kind).toBe('leaderless');
  // A broken file says so and keeps the run.
  await page.getByRole('button', { name: 'Share' }).click();
  await page.getByLabel('Scenario file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"version": 1, "nodes": -4}') });
  await expect(page.getByRole('alert')).toContainText('bad.json could not be opened');
  expect((await state(page)).settings.kind).toBe('leaderless');
  expect(errors).toEqual([]);
});

test('embed mode: minimal chrome, a way to the full page, commands from the parent', async ({ page }) => {
  const errors = watchErrors(page);
  const frag = link({ v: 1, scenario: { version: 1, schedule: [{ at_ms: 200, do: 'write', client: 0, key: 'x', value: '1' }] }, view: { at_ms: 300 } });
  await open(page, frag, '?embed&theme=dark');
  await expect(page.locator('header.top')).toHaveCount(0);
  await expect(page.locator('.timebar.mini')).toBeVisible();
  const full = page.getByRole('link', { name: /Open in Replica Lab/ });
  await expect(full).toHaveAttribute('href', /#1\./);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  let s = await state(page);
  expect(s.time_us).toBe(300_000);
  expect(s.playing).toBe(false);
  // The page's own message channel: what a parent would post.
  await page.evaluate(() => window.postMessage({ type: 'replica-lab', cmd: 'seek', ms: 50 }, '*'));
  await expect.poll(async () => (await state(page)).time_us).toBe(50_000);
  await page.evaluate(() => window.postMessage({ type: 'replica-lab', cmd: 'seek', ms: 'soon' }, '*'));
  await page.evaluate(() => window.postMessage('not even an object', '*'));
  await page.waitForTimeout(100);
  expect((await state(page)).time_us).toBe(50_000);
  await page.evaluate(() => window.postMessage({ type: 'replica-lab', cmd: 'play' }, '*'));
  await expect.poll(async () => (await state(page)).playing).toBe(true);
  // The address is left alone in an embed.
  expect(await fragment(page)).toBe(frag);
  await page.screenshot({ path: path.join(OUT, 'embed-minimal.png') });
  expect(errors).toEqual([]);
});

test('the gallery, the share dialog and an embed pass axe-core with no serious violations', async ({ page }) => {
  const AxeBuilder = (await import('@axe-core/playwright')).default;
  const scan = async (what: string) => {
    const results = await new AxeBuilder({ page }).exclude('iframe').analyze();
    expect(results.passes.length, 'the scan ran its rules').toBeGreaterThan(10);
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} nodes, e.g. ${v.nodes[0]?.target}`);
    expect(bad, bad.join('\n')).toEqual([]);
  };
  await boot(page);
  await call(page, 'pause');
  await page.getByRole('button', { name: 'Gallery' }).click();
  await expect(page.getByRole('dialog', { name: 'Scenarios to start from' })).toBeVisible();
  await scan('gallery');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.keyboard.press('s');
  await expect(page.getByRole('dialog', { name: 'Share this moment' })).toBeVisible();
  await scan('share');
  await page.screenshot({ path: path.join(OUT, 'share-dialog.png') });
  await open(page, fs.readFileSync(path.join(__dirname, '..', 'engine', 'testdata', 'links', 'read-repair.link'), 'utf8').trim(), '?embed');
  await scan('embed');
});
