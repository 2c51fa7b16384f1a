// Playwright e2e against the release bundle in dist/ (build it first: `cargo xtask test` does).
// No browser download: it launches the system Chromium (Debian: /usr/bin/chromium, or $CHROMIUM).
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT || 4173);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'target/e2e/results',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `python3 -m http.server ${PORT} --bind 127.0.0.1 --directory dist`,
    url: `http://127.0.0.1:${PORT}/index.html`,
    // Never test a stale server left running by something else.
    reuseExistingServer: false,
    timeout: 30_000,
    // python's access log is noise; Playwright still reports a server that fails to start.
    stdout: 'ignore',
    stderr: 'ignore',
  },
});
