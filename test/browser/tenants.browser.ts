// What a token may see: a tenant-scoped token sees its own tenant's VFs, attachments and audit
// entries and none of another tenant's, and no host-wide page; a viewer sees the host but no
// control that would change it (attach, detach, policies).
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
  seedTenants,
  startServe,
  type AttachmentView,
  type Serve,
} from './support/serve.js';

let d: Serve;
let browser: Browser;
let tab: ConsoleTab | null = null;
let tokens: Awaited<ReturnType<typeof seedTenants>>['tokens'];
let a: AttachmentView;
let b: AttachmentView;

beforeAll(async () => {
  d = await startServe();
  ({ tokens } = await seedTenants(d));
  // Each tenant attaches with its own token.
  a = await attachVm(d, 'team-a', 'vm-a1', 110, tokens.teamA);
  b = await attachVm(d, 'team-b', 'vm-b1', 210, tokens.teamB);
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

async function testIds(page: Page, prefix: string): Promise<string[]> {
  return page
    .locator(`[data-testid^="${prefix}"]`)
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''));
}

async function attr(page: Page, prefix: string, name: string): Promise<string[]> {
  return page
    .locator(`[data-testid^="${prefix}"]`)
    .evaluateAll((els, n) => els.map((e) => e.getAttribute(n) ?? ''), name);
}

describe('a tenant token', () => {
  it('sees its tenant’s VFs on the overview and only its pages in the navigation', async () => {
    tab = await openConsole(browser, d.url, tokens.teamA, 'overview');
    const { page } = tab;
    await page.getByTestId('page-overview').waitFor();
    const who = page.getByTestId('whoami');
    expect(await who.getAttribute('data-role')).toBe('operator');
    expect(await who.getAttribute('data-tenant')).toBe('team-a');
    expect((await testIds(page, 'nav-')).sort()).toEqual([
      'nav-allocations',
      'nav-audit',
      'nav-overview',
    ]);
    await page.getByTestId('tenant-vfs').waitFor();
    expect(await testIds(page, 'tenant-vf-')).toEqual([`tenant-vf-ens1f0-${a.vfIndex}`]);
    expect(await page.getByTestId('tenant-quota-vfs').textContent()).toContain('1 of 4');
    // Nothing of the host or of team-b on the page.
    expect(await page.getByTestId('capacity-pfs').count()).toBe(0);
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).not.toContain('vm-b1');
    expect(text).not.toContain('team-b');
    await screenshot(page, 'tenant-overview');
  });

  it('lists only its own attachments and audit entries', async () => {
    tab = await openConsole(browser, d.url, tokens.teamA, 'allocations');
    const { page } = tab;
    await page.getByTestId('attachments-table').waitFor();
    expect(await testIds(page, 'attachment-row-')).toEqual([`attachment-row-${a.id}`]);
    expect(await page.getByTestId(`attachment-row-${a.id}`).getAttribute('data-tenant')).toBe(
      'team-a',
    );
    // The API holds team-b's attachment all the same: the page does not show it.
    const all = await d.call<{ items: AttachmentView[] }>('GET', '/attachments');
    expect(all.items.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(await page.locator('body').textContent()).not.toContain('vm-b1');
    // The tenant can attach, but only for itself.
    await page.getByTestId('attach-open').click();
    const tenant = page.getByTestId('attach-tenant');
    expect(await tenant.inputValue()).toBe('team-a');
    expect(await tenant.isDisabled()).toBe(true);
    await screenshot(page, 'tenant-allocations');
    await page.getByTestId('attach-cancel').click();

    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor();
    const tenants = await attr(page, 'audit-row-', 'data-tenant');
    expect(tenants.length).toBeGreaterThan(0);
    expect(new Set(tenants)).toEqual(new Set(['team-a']));
    const targets = await attr(page, 'audit-row-', 'data-target');
    expect(targets).toContain(`attachment/${a.id}`);
    expect(targets).not.toContain(`attachment/${b.id}`);
    await screenshot(page, 'tenant-audit');
  });

  it('cannot open the host-wide pages: devices, policies, doctor', async () => {
    tab = await openConsole(browser, d.url, tokens.teamA, 'devices');
    const { page } = tab;
    await page.getByTestId('page-unavailable').waitFor();
    expect(await page.getByTestId('page-devices').count()).toBe(0);
    expect(await page.locator('[data-testid^="vf-row-"]').count()).toBe(0);
    expect(await page.getByTestId('page-unavailable').textContent()).toContain('team-a');
    await screenshot(page, 'tenant-devices-unavailable');
    for (const route of ['devices/ens1f0', 'policies', 'doctor']) {
      await page.goto(`${d.url}/#/${route}`);
      await page.getByTestId('page-unavailable').waitFor();
    }
    // The API refuses the same token the host's inventory: the console is not the only wall.
    expect((await d.api('GET', '/inventory', undefined, tokens.teamA)).status).toBe(403);
  });
});

describe('a viewer token', () => {
  it('sees the host and every tenant’s attachments but no attach, detach or policy control', async () => {
    tab = await openConsole(browser, d.url, tokens.viewer, 'allocations');
    const { page } = tab;
    await page.getByTestId('attachments-table').waitFor();
    expect(await page.getByTestId('whoami').getAttribute('data-role')).toBe('viewer');
    expect((await testIds(page, 'attachment-row-')).sort()).toEqual(
      [`attachment-row-${a.id}`, `attachment-row-${b.id}`].sort(),
    );
    expect(await page.getByTestId('attach-open').count()).toBe(0);
    expect(await page.getByTestId(`detach-${a.id}`).count()).toBe(0);
    expect(await page.getByTestId(`detach-${b.id}`).count()).toBe(0);
    expect(await page.getByTestId('nav-policies').count()).toBe(0);
    expect(await page.getByTestId('nav-devices').count()).toBe(1);
    await screenshot(page, 'viewer-allocations');

    await page.goto(`${d.url}/#/policies`);
    await page.getByTestId('page-unavailable').waitFor();
    expect(await page.getByTestId('policy-apply').count()).toBe(0);
    // The devices page is readable.
    await page.goto(`${d.url}/#/devices/ens1f0`);
    await page.locator('[data-testid=vf-scroll][data-ready=true]').waitFor();
    await page
      .getByTestId(`vf-consumer-ens1f0-${b.vfIndex}`)
      .filter({ hasText: 'vm-b1' })
      .waitFor();
  });
});
