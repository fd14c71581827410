// Attaching and detaching a VF from the Allocations page: the attach dialog's placement preview,
// the attachment in the table, the kernel configured as asked (read back through the API), the
// detach dialog, the VF scrubbed; and bad input answered with the API's error under the field it
// concerns.
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
  kernelVf,
  seedTenants,
  startServe,
  type AttachmentView,
  type Serve,
} from './support/serve.js';

let d: Serve;
let browser: Browser;
let tab: ConsoleTab | null = null;

beforeAll(async () => {
  d = await startServe();
  await seedTenants(d);
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

async function openAttachDialog(page: Page): Promise<void> {
  await page.getByTestId('page-allocations').waitFor();
  await page.locator('[data-testid=attach-open]:enabled').click();
  await page.getByTestId('attach-modal').waitFor();
}

async function attachments(): Promise<AttachmentView[]> {
  return (await d.call<{ items: AttachmentView[] }>('GET', '/attachments')).items;
}

describe('attach and detach', () => {
  it('attaches a VF through the dialog: in the table, and configured in the kernel', async () => {
    const before = await attachments();
    tab = await openConsole(browser, d.url, d.adminToken, 'allocations');
    const { page } = tab;
    await openAttachDialog(page);
    await page.getByTestId('attach-tenant').selectOption('team-a');
    await page.getByTestId('attach-pool').selectOption('e810');
    await page.getByTestId('attach-consumer-kind').selectOption('vm');
    await page.getByTestId('attach-consumer-name').fill('vm-web-1');
    await page.getByTestId('attach-vlan').fill('150');
    await page.getByTestId('attach-maxTxRate').fill('2000');

    // The preview explains the placement and changes nothing.
    await page.getByTestId('attach-preview').click();
    const preview = page.getByTestId('attach-preview-result');
    await preview.waitFor();
    expect(await preview.getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('attach-preview-choice').count()).toBe(1);
    expect(await page.getByTestId('attach-preview-explanation').textContent()).toMatch(
      /Pool has 8 VFs/,
    );
    expect(await attachments()).toEqual(before);

    await page.getByTestId('attach-submit').click();
    const item = page.getByTestId('attach-success-item');
    await item.waitFor();
    const id = (await item.getAttribute('data-attachment-id'))!;
    expect(id).toBeTruthy();
    await page.getByTestId('attach-modal').waitFor({ state: 'detached' });

    // The ledger holds it, and the table shows it.
    const a = (await attachments()).find((x) => x.id === id);
    expect(a).toMatchObject({
      id,
      tenant: 'team-a',
      consumer: { kind: 'vm', name: 'vm-web-1' },
      pfNetdev: 'ens1f0',
      vlan: 150,
      state: 'attached',
    });
    const row = page.getByTestId(`attachment-row-${id}`);
    await row.waitFor();
    expect(await row.getAttribute('data-tenant')).toBe('team-a');
    expect(await row.getAttribute('data-consumer')).toBe('vm-web-1');
    expect(await row.getAttribute('data-vf')).toBe(`ens1f0#${a!.vfIndex}`);
    expect(await row.textContent()).toContain(a!.mac);

    // The kernel changed: the VF is on vfio-pci with the MAC, VLAN and cap the attach set.
    const vf = await kernelVf(d, 'ens1f0', a!.vfIndex);
    expect(vf.driver).toBe('vfio-pci');
    expect(vf.config).toMatchObject({ mac: a!.mac, vlan: 150, maxTxRate: 2000 });
    // And the pool counts it as taken.
    const pool = await d.call<{ items: { vfIndex: number; status: string }[] }>(
      'GET',
      '/pools/e810/vfs',
    );
    expect(pool.items.find((v) => v.vfIndex === a!.vfIndex)?.status).toBe('taken');
    await screenshot(page, 'attach-success');
  });

  it('detaches through the confirmation dialog: gone from the table, VF scrubbed', async () => {
    // Its own attachment (through the API), so it does not depend on the test before it; with a
    // cap and a VLAN, so the scrub below has something to undo.
    const a = await d
      .call<{ attachments: AttachmentView[] }>('POST', '/attachments', {
        tenant: 'team-a',
        pool: 'e810',
        consumer: { kind: 'vm', name: 'vm-detach-1' },
        vlan: 160,
        maxTxRate: 3000,
      })
      .then((r) => r.attachments[0]);
    expect(await kernelVf(d, 'ens1f0', a!.vfIndex)).toMatchObject({
      config: { mac: a!.mac, vlan: 160, maxTxRate: 3000 },
    });
    tab = await openConsole(browser, d.url, d.adminToken, 'allocations');
    const { page } = tab;
    await page.getByTestId(`attachment-row-${a!.id}`).waitFor();
    await page.getByTestId(`detach-${a!.id}`).click();
    await page.getByTestId('detach-modal').waitFor();
    await page.getByTestId('detach-confirm').click();
    await page.getByTestId('detach-success').waitFor();
    await page.getByTestId(`attachment-row-${a!.id}`).waitFor({ state: 'detached' });

    expect((await attachments()).map((x) => x.id)).not.toContain(a!.id);
    // Scrubbed: no MAC, no VLAN, no cap; the pool's driver kept so the next consumer gets it.
    const vf = await kernelVf(d, 'ens1f0', a!.vfIndex);
    expect(vf.config).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, maxTxRate: 0 });
    await screenshot(page, 'detach-success');
  });
});

describe('bad input', () => {
  it('shows the consumer name error under the consumer name field', async () => {
    const before = await attachments();
    tab = await openConsole(browser, d.url, d.adminToken, 'allocations');
    const { page } = tab;
    await openAttachDialog(page);
    await page.getByTestId('attach-tenant').selectOption('team-a');
    await page.getByTestId('attach-consumer-name').fill('bad name!');
    await page.getByTestId('attach-submit').click();
    const error = page.getByTestId('attach-error-consumer-name');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/letters, digits/);
    await page.getByTestId('attach-problem').waitFor();
    // Only that field is marked; the dialog stays open and nothing was attached.
    expect(await page.locator('[data-testid^="attach-error-"]').count()).toBe(1);
    expect(await page.getByTestId('attach-modal').isVisible()).toBe(true);
    expect(await attachments()).toEqual(before);
    await screenshot(page, 'bad-input-consumer-name');
  });

  it('shows a VLAN outside the tenant’s set under the VLAN field', async () => {
    const before = await attachments();
    tab = await openConsole(browser, d.url, d.adminToken, 'allocations');
    const { page } = tab;
    await openAttachDialog(page);
    await page.getByTestId('attach-tenant').selectOption('team-a');
    await page.getByTestId('attach-consumer-name').fill('vm-web-2');
    // team-a may use VLANs 100-199; 250 is team-b's.
    await page.getByTestId('attach-vlan').fill('250');
    await page.getByTestId('attach-submit').click();
    const error = page.getByTestId('attach-error-vlan');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/250/);
    expect(await page.getByTestId('attach-error-consumer-name').count()).toBe(0);
    expect(await attachments()).toEqual(before);
    await screenshot(page, 'bad-input-vlan');

    // Corrected, the same dialog attaches.
    await page.getByTestId('attach-vlan').fill('199');
    await page.getByTestId('attach-submit').click();
    await page.getByTestId('attach-success-item').waitFor();
    const added = (await attachments()).filter((a) => !before.some((b) => b.id === a.id));
    expect(added.map((a) => [a.consumer.name, a.vlan])).toEqual([['vm-web-2', 199]]);
  });
});
