// Helpers shared by the e2e specs: loading the page, reading window.replicaLab, collecting errors.
import { expect, type Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/** Where screenshots go. */
export const OUT = path.resolve(__dirname, '..', 'target', 'e2e');

/** window.replicaLab.getState(), typed as the caller needs it. */
export const state = <S = any>(page: Page) => page.evaluate(() => (window as any).replicaLab.getState() as S);

/** Calls window.replicaLab[fn](arg) in the page. */
export const call = (page: Page, fn: string, arg?: unknown) =>
  page.evaluate(([f, a]) => (window as any).replicaLab[f as string](a), [fn, arg] as const);

/** Collects console errors and uncaught page errors (a missing favicon does not count). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) {
      errors.push(`console.error: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

/** Loads the page and waits until the cluster is drawn and the hook is installed. */
export async function boot(page: Page) {
  await page.goto('/');
  await page.waitForFunction(() => typeof (window as any).replicaLab?.getState === 'function');
  await expect(page.locator('svg.cluster g.node').first()).toBeVisible();
}

/** Picks a strategy with the switch at the top of the controls (this starts the run over). */
export async function choose(page: Page, name: 'Single-leader' | 'Multi-leader' | 'Leaderless') {
  await page.getByRole('radio', { name, exact: true }).click();
  await expect(page.getByRole('radio', { name, exact: true })).toHaveAttribute('aria-checked', 'true');
}

/** The body of a stored link (`engine/testdata/links/NAME.link`). */
export const storedLink = (name: string) =>
  fs.readFileSync(path.join(__dirname, '..', 'engine', 'testdata', 'links', `${name}.link`), 'utf8').trim();

/** Opens a stored link and waits for the page's API and the cluster picture. */
export async function openStored(page: Page, name: string) {
  await page.goto('/#' + storedLink(name));
  await page.waitForFunction(() => typeof (window as any).replicaLab?.getState === 'function');
  await expect(page.locator('svg.cluster g.node').first()).toBeAttached();
}
