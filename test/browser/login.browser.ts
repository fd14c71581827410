// Logging in to the console served by `sriovctl serve` on the simulated dual-socket host: a bad
// token is refused with the API's explanation, the printed admin token gets in, and the overview
// shows the host's capacity per PF and NUMA node as the API reports it.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeTab,
  launchChromium,
  openConsole,
  screenshot,
  type ConsoleTab,
} from './support/browser.js';
import { startServe, type Serve } from './support/serve.js';

let d: Serve;
let browser: Browser;
let tab: ConsoleTab | null = null;

beforeAll(async () => {
  d = await startServe();
  browser = await launchChromium();
});
afterEach(async ({ task }) => {
  await closeTab(tab, task);
  tab = null;
});
afterAll(async () => {
  await browser?.close();
  await d?.stop();
});

interface CapacityPf {
  netdev: string | null;
  numVfs: number;
  totalVfs: number;
  freeVfs: number;
}

describe('login', () => {
  it('refuses a bad token with the API’s reason and stays on the login page', async () => {
    tab = await openConsole(browser, d.url, null);
    const { page } = tab;
    await page.getByTestId('login-token').fill('sriovctl_not-a-real-token');
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/token/i);
    expect(await page.getByTestId('page-overview').count()).toBe(0);
    // Nothing was kept: a reload is still logged out.
    await page.reload();
    await page.getByTestId('login-page').waitFor();
    await page.getByTestId('login-token').fill('sriovctl_not-a-real-token');
    await page.getByTestId('login-submit').click();
    await error.waitFor();
    // The login can be tried again (with a corrected token).
    expect(await page.getByTestId('login-submit').isEnabled()).toBe(true);
    await screenshot(page, 'login-bad-token');
  });

  it('logs in with the admin token and shows the overview with capacity per PF', async () => {
    tab = await openConsole(browser, d.url, null);
    const { page } = tab;
    await page.getByTestId('login-token').fill(d.adminToken);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('page-overview').waitFor();
    const who = page.getByTestId('whoami');
    expect(await who.getAttribute('data-role')).toBe('admin');
    expect(await who.getAttribute('data-tenant')).toBe('');
    expect(await page.getByTestId('host-name').textContent()).toBe('compute-17');
    await page.locator('[data-testid=live-status][data-status=open]').waitFor();

    // Every PF the API counts is a row, with its VF numbers; the totals add up.
    const cap = await d.call<{ pfs: CapacityPf[]; numa: { node: number }[] }>('GET', '/capacity');
    await page.getByTestId('capacity-pfs').waitFor();
    for (const p of cap.pfs) {
      const row = page.getByTestId(`capacity-pf-${p.netdev}`);
      await row.waitFor();
      expect(await row.textContent()).toContain(p.netdev);
    }
    expect(await page.getByTestId('capacity-pf-ens1f0-vfs').textContent()).toMatch(/8/);
    const configured = cap.pfs.reduce((s, p) => s + p.numVfs, 0);
    const total = cap.pfs.reduce((s, p) => s + p.totalVfs, 0);
    expect(await page.getByTestId('count-pfs').textContent()).toBe(String(cap.pfs.length));
    expect(await page.getByTestId('count-vfs').textContent()).toBe(`${configured} of ${total}`);
    expect(await page.getByTestId('count-free').textContent()).toBe(
      String(cap.pfs.reduce((s, p) => s + p.freeVfs, 0)),
    );
    for (const n of cap.numa) await page.getByTestId(`capacity-numa-${n.node}`).waitFor();
    // All admin pages are in the navigation.
    for (const p of ['overview', 'devices', 'allocations', 'policies', 'doctor', 'audit'])
      expect(await page.getByTestId(`nav-${p}`).count(), p).toBe(1);
    await screenshot(page, 'login-overview');
  });

  it('marks the simulated host in the header, beside its name', async () => {
    tab = await openConsole(browser, d.url, null);
    const { page } = tab;
    await page.getByTestId('login-token').fill(d.adminToken);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('page-overview').waitFor();
    const badge = page.getByTestId('simulated-host');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('Simulated · dual-socket-e810-cx6');
    expect(await badge.getAttribute('title')).toMatch(/simulated kernel .*no real hardware/);
    // In the masthead, right after the host's name.
    const [name, mark] = await Promise.all([
      page.getByTestId('host-name').boundingBox(),
      badge.boundingBox(),
    ]);
    expect(name && mark && mark.x > name.x && Math.abs(mark.y - name.y) < name.height).toBe(true);
    await screenshot(page, 'header-simulated');
  });

  it('keeps the session across a reload and ends it on log out', async () => {
    tab = await openConsole(browser, d.url, null);
    const { page } = tab;
    await page.getByTestId('login-token').fill(d.adminToken);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('page-overview').waitFor();
    await page.reload();
    await page.getByTestId('page-overview').waitFor();
    await page.getByTestId('logout').click();
    await page.getByTestId('login-page').waitFor();
    await page.reload();
    await page.getByTestId('login-page').waitFor();
    await screenshot(page, 'login-logged-out');
  });
});
