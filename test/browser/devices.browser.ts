// Browsing the host's PFs and VFs: the PF list, one PF's VF table, the instant filter narrowing it
// to one VF (by name, index, VLAN or tenant), and the VF's drawer with its consumer, settings as
// the kernel reports them and its history from the audit log.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeTab,
  launchChromium,
  openConsole,
  screenshot,
  type ConsoleTab,
} from './support/browser.js';
import {
  attachVm,
  kernelVf,
  seedTenants,
  startServe,
  type AttachmentView,
  type InventoryView,
  type Serve,
} from './support/serve.js';

let d: Serve;
let browser: Browser;
let tab: ConsoleTab | null = null;
let held: AttachmentView;

beforeAll(async () => {
  d = await startServe();
  await seedTenants(d);
  held = await attachVm(d, 'team-a', 'vm-alpha', 120);
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

/** The VF table has rendered its rows. */
async function tableReady(page: Page): Promise<void> {
  await page.locator('[data-testid=vf-scroll][data-ready=true]').waitFor();
}

async function count(page: Page): Promise<{ shown: number; total: number }> {
  const c = page.getByTestId('vf-count');
  return {
    shown: Number(await c.getAttribute('data-shown')),
    total: Number(await c.getAttribute('data-total')),
  };
}

/**
 * Waits until the table shows exactly these rows (the filter applies a deferred value: the count
 * of the previous filter can still be on screen right after typing).
 */
async function waitForRows(page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction((want) => {
    // Runs in the page; this tsconfig has no DOM types, hence the narrow view of `document`.
    type El = { getAttribute(name: string): string | null };
    const doc = (
      globalThis as unknown as {
        document: {
          querySelectorAll(s: string): Iterable<El>;
          querySelector(s: string): El | null;
        };
      }
    ).document;
    const rows = [...doc.querySelectorAll('[data-testid^="vf-row-"]')].map((e) =>
      e.getAttribute('data-testid'),
    );
    const shown = doc.querySelector('[data-testid=vf-count]')?.getAttribute('data-shown');
    return JSON.stringify(rows) === JSON.stringify(want) && shown === String(want.length);
  }, ids);
}

/** The VF rows in the DOM, by test id (only rows in view are rendered). */
async function rowIds(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid^="vf-row-"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''));
}

describe('devices', () => {
  it('lists every PF with VFs and shows all their VFs, then one PF’s', async () => {
    tab = await openConsole(browser, d.url, d.adminToken, 'devices');
    const { page } = tab;
    await page.getByTestId('page-devices').waitFor();
    await tableReady(page);
    const inv = await d.call<InventoryView>('GET', '/inventory');
    const all = inv.pfs.reduce((s, p) => s + p.vfs.length, 0);
    expect(await count(page)).toEqual({ shown: all, total: all });
    for (const p of inv.pfs) expect(await page.getByTestId(`pf-item-${p.netdev}`).count()).toBe(1);

    await page.getByTestId('pf-item-ens1f0').click();
    await page.waitForURL(/#\/devices\/ens1f0$/);
    await page.getByTestId('pf-detail-ens1f0').waitFor();
    await tableReady(page);
    expect(await count(page)).toEqual({ shown: 8, total: 8 });
    const ids = await rowIds(page);
    expect(ids).toEqual(Array.from({ length: 8 }, (_, i) => `vf-row-ens1f0-${i}`));
    // The held VF names its tenant and consumer in the table.
    // (The table renders from the inventory; attachments fill the consumer column as they arrive.)
    await page
      .getByTestId(`vf-consumer-ens1f0-${held.vfIndex}`)
      .filter({ hasText: 'vm-alpha' })
      .waitFor();
    await screenshot(page, 'devices-pf');
  });

  it('filters instantly to one VF and opens its drawer with settings and history', async () => {
    tab = await openConsole(browser, d.url, d.adminToken, 'devices/ens1f0');
    const { page } = tab;
    await tableReady(page);
    const filter = page.getByTestId('vf-filter');

    // By index: VF 5 and not 50-59 (there are only 8 here, but the term must match a whole word).
    await filter.fill('vf:5');
    await waitForRows(page, ['vf-row-ens1f0-5']);

    // By VLAN: only the attached VF has VLAN 120.
    await filter.fill('vlan:120');
    await waitForRows(page, [`vf-row-ens1f0-${held.vfIndex}`]);

    // Terms that match nothing say so.
    await filter.fill('tenant:team-b');
    await page.getByTestId('vfs-no-match').waitFor();
    expect(await rowIds(page)).toEqual([]);

    // By name, as the filter's placeholder suggests.
    await filter.fill(`ens1f0#${held.vfIndex}`);
    await waitForRows(page, [`vf-row-ens1f0-${held.vfIndex}`]);

    await page.getByTestId(`vf-open-ens1f0-${held.vfIndex}`).click();
    const drawer = page.getByTestId('vf-drawer');
    await drawer.waitFor();
    expect(await page.getByTestId('vf-drawer-tenant').textContent()).toBe('team-a');
    // The settings shown are the kernel's: the MAC and VLAN the attach configured.
    const vf = await kernelVf(d, 'ens1f0', held.vfIndex);
    expect(vf.config).toMatchObject({ mac: held.mac, vlan: 120 });
    const text = (await drawer.textContent()) ?? '';
    expect(text).toContain(held.mac);
    expect(text).toContain('vm-alpha');
    // Its history is the audit log's: the attach is there.
    await page.getByTestId('vf-history').waitFor();
    const actions = await page
      .getByTestId('vf-history-item')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    expect(actions).toContain('attachment.create');
    await page.getByTestId('vf-history').scrollIntoViewIfNeeded();
    await screenshot(page, 'devices-filter-drawer');

    await page.getByTestId('vf-drawer-close').click();
    await drawer.waitFor({ state: 'detached' });
    // Clearing the filter shows all of the PF's VFs again.
    await filter.fill('');
    await waitForRows(
      page,
      Array.from({ length: 8 }, (_, i) => `vf-row-ens1f0-${i}`),
    );
  });

  it('shows a free VF as free in its drawer', async () => {
    const free = held.vfIndex === 7 ? 6 : 7;
    tab = await openConsole(browser, d.url, d.adminToken, 'devices/ens1f0');
    const { page } = tab;
    await tableReady(page);
    await page.getByTestId('vf-filter').fill(`ens1f0#${free}`);
    await waitForRows(page, [`vf-row-ens1f0-${free}`]);
    await page.getByTestId(`vf-open-ens1f0-${free}`).click();
    await page.getByTestId('vf-drawer-free').waitFor();
    expect(await page.getByTestId('vf-drawer-tenant').count()).toBe(0);
    await screenshot(page, 'devices-free-vf');
  });
});
