// Smoke test of the built page: it boots, the cluster view and window.replicaLab agree, nothing
// logs an error. Selects by stable hooks (svg.cluster, g.node, .leader, window.replicaLab) so it
// keeps passing as the page grows.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const OUT = path.resolve(__dirname, '..', 'target', 'e2e');

/** Where a passing test saves its screenshot; removed first so a stale one never survives a failure. */
function shotPath(name: string): string {
  const file = path.join(OUT, name);
  fs.rmSync(file, { force: true });
  return file;
}

type NodeState = { id: number; role: string; up: boolean; epoch: number; last_lsn: number };
type State = { time_us: number; nodes: NodeState[]; messages: unknown[] };

/** Collects console errors, uncaught page errors and failed requests from the moment it is called. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium requests /favicon.ico on its own when the page declares no icon; not the page's error.
    if (msg.location().url.endsWith('/favicon.ico')) return;
    errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) =>
    errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`),
  );
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return errors;
}

async function boot(page: Page): Promise<State> {
  await page.goto('/');
  await page.waitForFunction(
    () => typeof (window as any).replicaLab?.getState === 'function',
    undefined,
    { timeout: 15_000 },
  );
  await expect(page.locator('svg.cluster g.node').first()).toBeVisible();
  return page.evaluate(() => (window as any).replicaLab.getState() as State);
}

async function checkCluster(page: Page, state: State) {
  const nodes = page.locator('svg.cluster g.node');
  expect(state.nodes.length).toBeGreaterThanOrEqual(3);
  await expect(nodes).toHaveCount(state.nodes.length);
  // Every node in the state is drawn, once.
  for (const n of state.nodes) {
    await expect(page.locator(`svg.cluster g.node[data-node="${n.id}"]`)).toHaveCount(1);
  }
  expect(state.nodes.filter((n) => n.role === 'leader')).toHaveLength(1);
  await expect(page.locator('svg.cluster g.node.leader')).toHaveCount(1);
}

test('page boots: nodes drawn match window.replicaLab, one leader, no errors', async ({ page }) => {
  const shot = shotPath('smoke.png');
  const errors = watchErrors(page);
  const state = await boot(page);

  await expect(page).toHaveTitle(/Replica Lab/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Replica Lab');
  expect(typeof (await page.evaluate(() => (window as any).replicaLab.version))).toBe('string');
  expect(typeof state.time_us).toBe('number');
  await checkCluster(page, state);

  expect(errors, errors.join('\n')).toEqual([]);
  // Only a passing page is saved here; failures get Playwright's own screenshot in results/.
  await page.screenshot({ path: shot });
});

test.describe('phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('page boots on a phone-sized screen', async ({ page }) => {
    const shot = shotPath('smoke-phone.png');
    const errors = watchErrors(page);
    const state = await boot(page);
    await checkCluster(page, state);
    // Nothing overflows sideways.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors, errors.join('\n')).toEqual([]);
    await page.screenshot({ path: shot });
  });
});
