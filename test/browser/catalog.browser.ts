// A new user's first journey, all in the console: as admin, create a pool (watching the preview
// of the VFs its selector matches) and a tenant, checked as they are typed; attach two VFs with a
// VLAN and a rate through the Attach dialog, see them in Allocations and in Devices, detach one.
// Then tokens: created with the secret shown once, revoked; and a viewer sees no catalog control.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeTab,
  launchChromium,
  openConsole,
  screenshot,
  type ConsoleTab,
} from './support/browser.js';
import { kernelVf, numVfs, startServe, type AttachmentView, type Serve } from './support/serve.js';

let d: Serve;
let browser: Browser;
let tab: ConsoleTab | null = null;

beforeAll(async () => {
  // A fresh host: no pool, no tenant, only the admin token it hands out.
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

async function attachments(): Promise<AttachmentView[]> {
  return (await d.call<{ items: AttachmentView[] }>('GET', '/attachments')).items;
}

async function testIds(page: Page, prefix: string): Promise<string[]> {
  return page
    .locator(`[data-testid^="${prefix}"]`)
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''));
}

describe('a new user, as admin', () => {
  it('creates a pool and a tenant, attaches two VFs, sees them in Allocations and Devices, and detaches one', async () => {
    const vfs = await numVfs(d, 'ens1f0');
    tab = await openConsole(browser, d.url, d.adminToken, 'allocations');
    const { page } = tab;

    // Nothing to attach for yet: the empty attachments tab leads to the pools tab, whose empty
    // state offers the action (not the CLI).
    const setup = page.getByTestId('attachments-empty-setup');
    expect(await setup.textContent()).toBe('Create a pool');
    await setup.click();
    await page.getByTestId('pools-empty').waitFor();
    expect(await page.getByTestId('pools-empty').textContent()).not.toContain('sriovctl');
    await page.getByTestId('pool-create-empty').click();
    await page.getByTestId('pool-form').waitFor();

    // A wrong VF range is named under its field as it is typed, in the API's own words.
    await page.getByTestId('pool-name').fill('e810');
    await page.getByTestId('pool-pfNames').fill('ens1f0');
    await page.getByTestId('pool-vfRange').fill('7-3');
    await page.getByTestId('pool-vfRange-error').waitFor();
    expect(await page.getByTestId('pool-preview').count()).toBe(0);
    // Fixed: the preview shows the VFs the selector takes.
    await page.getByTestId('pool-vfRange').fill('');
    const preview = page.locator('[data-testid=pool-preview][data-stale=false]');
    await preview.waitFor();
    expect(await preview.getAttribute('data-total')).toBe(String(vfs));
    expect(await page.getByTestId('pool-preview-pf-ens1f0').textContent()).toContain(`${vfs} VF`);
    await page.getByTestId('pool-vfRange').fill('0-3');
    await page.locator('[data-testid=pool-preview][data-stale=false][data-total="4"]').waitFor();
    await screenshot(page, 'catalog-pool-form');
    await page.getByTestId('pool-form-submit').click();
    await page.getByTestId('pool-form').waitFor({ state: 'detached' });
    await page.getByTestId('pool-row-e810').waitFor();
    const pool = await d.call<{ selector: unknown; vfDriver: string }>('GET', '/pools/e810');
    expect(pool).toMatchObject({
      selector: { pfNames: ['ens1f0'], vfRange: '0-3' },
      vfDriver: 'vfio-pci',
    });

    // The tenant, from the empty tenants tab.
    await page.getByTestId('tab-tenants').click();
    await page.getByTestId('tenant-create-empty').click();
    await page.getByTestId('tenant-form').waitFor();
    await page.getByTestId('tenant-name').fill('team-a');
    await page.getByTestId('tenant-vlans').fill('5000');
    const vlanError = page.getByTestId('tenant-vlans-error');
    await vlanError.filter({ hasText: '4094' }).waitFor();
    await page.getByTestId('tenant-vlans').fill('100-199');
    await vlanError.waitFor({ state: 'detached' });
    await page.getByTestId('tenant-maxVfs').fill('-1');
    await page.getByTestId('tenant-maxVfs-error').filter({ hasText: 'at least 0' }).waitFor();
    await page.getByTestId('tenant-maxVfs').fill('4');
    await page.getByTestId('tenant-pool-e810').check();
    await page.getByTestId('tenant-form-submit').click();
    await page.getByTestId('tenant-form').waitFor({ state: 'detached' });
    await page.getByTestId('tenant-row-team-a').waitFor();
    expect(await d.call('GET', '/tenants/team-a')).toMatchObject({
      pools: ['e810'],
      vlans: '100-199',
      maxVfs: 4,
    });

    // Two VFs with a VLAN and a rate, through the Attach dialog.
    await page.getByTestId('tab-attachments').click();
    await page.locator('[data-testid=attach-open]:enabled').click();
    await page.getByTestId('attach-modal').waitFor();
    await page.getByTestId('attach-tenant').selectOption('team-a');
    await page.getByTestId('attach-pool').selectOption('e810');
    await page.getByTestId('attach-consumer-kind').selectOption('vm');
    await page.getByTestId('attach-consumer-name').fill('vm-first');
    await page.getByTestId('attach-count').fill('2');
    await page.getByTestId('attach-vlan').fill('120');
    await page.getByTestId('attach-maxTxRate').fill('1500');
    await page.getByTestId('attach-submit').click();
    await page.getByTestId('attach-success').waitFor();
    expect(await page.getByTestId('attach-success-item').count()).toBe(2);
    await page.getByTestId('attach-modal').waitFor({ state: 'detached' });

    const held = await attachments();
    expect(held).toHaveLength(2);
    for (const a of held) {
      expect(a).toMatchObject({ tenant: 'team-a', pool: 'e810', vlan: 120, state: 'attached' });
      await page.getByTestId(`attachment-row-${a.id}`).waitFor();
      expect(await kernelVf(d, 'ens1f0', a.vfIndex)).toMatchObject({
        driver: 'vfio-pci',
        config: { vlan: 120, maxTxRate: 1500 },
      });
    }
    await page.getByTestId('tab-tenants').click();
    expect(await page.getByTestId('tenant-vfs-team-a').textContent()).toBe('2 / 4');
    await screenshot(page, 'catalog-attached');

    // Devices shows who holds them.
    await page.getByTestId('nav-devices').click();
    await page.goto(`${d.url}/#/devices/ens1f0`);
    await page.locator('[data-testid=vf-scroll][data-ready=true]').waitFor();
    for (const a of held)
      await page
        .getByTestId(`vf-consumer-ens1f0-${a.vfIndex}`)
        .filter({ hasText: 'vm-first' })
        .waitFor();

    // Detach one, from Allocations.
    await page.getByTestId('nav-allocations').click();
    const [gone, kept] = held as [AttachmentView, AttachmentView];
    await page.getByTestId(`detach-${gone.id}`).click();
    await page.getByTestId('detach-confirm').click();
    await page.getByTestId('detach-success').waitFor();
    await page.getByTestId(`attachment-row-${gone.id}`).waitFor({ state: 'detached' });
    expect(await testIds(page, 'attachment-row-')).toEqual([`attachment-row-${kept.id}`]);
    expect((await attachments()).map((a) => a.id)).toEqual([kept.id]);
    await screenshot(page, 'catalog-detached');
  });

  it('refuses to delete a pool in use, with the API’s reason and fix, and edits the tenant', async () => {
    tab = await openConsole(browser, d.url, d.adminToken, 'allocations/pools');
    const { page } = tab;
    await page.getByTestId('pool-delete-e810').click();
    await page.getByTestId('pool-delete-modal-confirm').click();
    const problem = page.getByTestId('pool-delete-modal-problem');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('pool e810 has 1 attachment');
    expect(await page.getByTestId('pool-delete-modal-problem-fix').textContent()).toContain(
      'detach them first',
    );
    await page.getByTestId('pool-delete-modal-cancel').click();
    expect(await d.api('GET', '/pools/e810')).toMatchObject({ status: 200 });

    await page.getByTestId('tab-tenants').click();
    await page.getByTestId('tenant-edit-team-a').click();
    expect(await page.getByTestId('tenant-name').isDisabled()).toBe(true);
    await page.getByTestId('tenant-maxVfs').fill('8');
    await page.getByTestId('tenant-form-submit').click();
    await page.getByTestId('tenant-form').waitFor({ state: 'detached' });
    await page.getByTestId('tenant-vfs-team-a').filter({ hasText: '/ 8' }).waitFor();
  });

  it('creates a tenant token with the secret shown once, and revokes it', async () => {
    tab = await openConsole(browser, d.url, d.adminToken, 'tokens');
    const { page } = tab;
    await page.getByTestId('token-create').click();
    await page.getByTestId('token-name').fill('team-a-ci');
    await page.getByTestId('token-role').selectOption('operator');
    await page.getByTestId('token-tenant').selectOption('team-a');
    await page.getByTestId('token-form-submit').click();
    await page.getByTestId('token-secret-warning').waitFor();
    expect(await page.getByTestId('token-secret-warning').textContent()).toContain(
      'will not be shown again',
    );
    const secret = await page.getByTestId('token-secret').locator('input').inputValue();
    expect(secret).toMatch(/^sriovctl_/);
    // The secret works, as what the form said.
    expect(await d.call('GET', '/whoami', undefined, secret)).toMatchObject({
      name: 'team-a-ci',
      role: 'operator',
      tenant: 'team-a',
    });
    await screenshot(page, 'catalog-token-secret');
    await page.getByTestId('token-done').click();
    const row = page.getByTestId('token-row-team-a-ci');
    await row.waitFor();
    // Shown once: the list never has it.
    expect(await page.locator('body').textContent()).not.toContain(secret);

    await page.getByTestId('token-revoke-team-a-ci').click();
    await page.getByTestId('token-revoke-modal-confirm').click();
    await row.waitFor({ state: 'detached' });
    expect((await d.api('GET', '/whoami', undefined, secret)).status).toBe(401);
  });
});

describe('a viewer', () => {
  it('reads pools and tenants with no create, edit or delete, and has no Tokens page', async () => {
    const viewer = (
      await d.call<{ secret: string }>('POST', '/tokens', { name: 'noc', role: 'viewer' })
    ).secret;
    tab = await openConsole(browser, d.url, viewer, 'allocations/pools');
    const { page } = tab;
    await page.getByTestId('pool-row-e810').waitFor();
    expect(await testIds(page, 'pool-create')).toEqual([]);
    expect(await testIds(page, 'pool-edit-')).toEqual([]);
    expect(await testIds(page, 'pool-delete-')).toEqual([]);
    await page.getByTestId('tab-tenants').click();
    await page.getByTestId('tenant-row-team-a').waitFor();
    expect(await testIds(page, 'tenant-create')).toEqual([]);
    expect(await testIds(page, 'tenant-edit-')).toEqual([]);
    expect(await page.getByTestId('nav-tokens').count()).toBe(0);
  });
});
