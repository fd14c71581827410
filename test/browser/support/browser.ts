/**
 * Debian's Chromium, driven headless by playwright-core (no browser download): one browser per
 * test file, a fresh context (own storage) per test, and a screenshot of what each test checks
 * under test/browser/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO } from './serve.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO, 'test/browser/screenshots');

/** Throws the fix when Chromium is not installed: these tests never skip. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the browser tests drive Debian's Chromium; install it: apt-get install chromium`,
    );
}

/** Throws the fix when the console has not been built. */
export function requireConsoleBuild(): void {
  if (!existsSync(join(REPO, 'dist/console/index.html')))
    throw new Error('dist/console/index.html is missing: build the console first: npm run build');
}

export async function launchChromium(): Promise<Browser> {
  requireChromium();
  // launch() gives the browser a fresh temporary profile (user-data-dir) and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
}

/**
 * A new tab on the console. With a token, the session is pre-seeded the way the login page leaves
 * it (sessionStorage), so a test starts on the page it checks; without one, it starts logged out.
 */
export async function openConsole(
  browser: Browser,
  url: string,
  token: string | null,
  route = 'overview',
): Promise<ConsoleTab> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // Failures should say so within seconds, well inside the test's own timeout.
  context.setDefaultTimeout(10_000);
  if (token !== null)
    await context.addInitScript({
      content: `sessionStorage.setItem('sriovctl.token', ${JSON.stringify(token)});`,
    });
  const page = await context.newPage();
  await page.goto(`${url}/#/${route}`);
  return { context, page };
}

/** Saves `<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Closes a test's tab; when the test failed, first saves what the page showed then, as
 * `FAILED-<test>.png`, for whoever reads the CI log.
 */
export async function closeTab(
  tab: ConsoleTab | null,
  test: { name: string; result?: { state?: string } },
): Promise<void> {
  if (!tab) return;
  if (test.result?.state === 'fail') {
    const slug = test.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80);
    await screenshot(tab.page, `FAILED-${slug}`).catch(() => {});
  }
  await tab.context.close();
}
