// Applying a policy from the Policies page: the plan with its disruptive step highlighted and the
// consumer it would hit, apply held back until the disruption is confirmed, live progress to a
// successful result, and the simulated host changed (read back through the API); a bad policy
// (uploaded as a file) answered with each problem located in the text.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeTab,
  launchChromium,
  openConsole,
  screenshot,
  type ConsoleTab,
} from './support/browser.js';
import {
  numVfs,
  startServe,
  type AttachmentView,
  type InventoryView,
  type Serve,
} from './support/serve.js';

/**
 * Two PFs: ens1f1 grows from 0 to 4 VFs (not disruptive); ens2f0np0 (mlx5) goes from 4 to 8,
 * which the driver only allows through 0: its VFs, one held by a pod, are destroyed and recreated.
 */
const POLICY = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: tenants-vlan }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 4
  vfGroups:
    - { range: 0-3, driver: vfio-pci, vlan: 300 }
---
apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: cx6-grow }
spec:
  selector: { pfNames: [ens2f0np0] }
  numVfs: 8
  vfGroups:
    - { range: 0-7, driver: host }
`;

let d: Serve;
let browser: Browser;
let tab: ConsoleTab | null = null;
let pod: AttachmentView;

beforeAll(async () => {
  d = await startServe();
  await d.call('PUT', '/pools/cx6', { selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' });
  await d.call('PUT', '/tenants/team-a', { pools: ['cx6'], vlans: '100-199' });
  const r = await d.call<{ attachments: AttachmentView[] }>('POST', '/attachments', {
    tenant: 'team-a',
    pool: 'cx6',
    consumer: { kind: 'pod', name: 'default/web-0' },
    vlan: 100,
  });
  pod = r.attachments[0]!;
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

describe('policies', () => {
  it('reports a bad uploaded policy with each problem at its line and column', async () => {
    tab = await openConsole(browser, d.url, d.adminToken, 'policies');
    const { page } = tab;
    await page.getByTestId('page-policies').waitFor();
    await page.getByTestId('policy-file').setInputFiles({
      name: 'bad.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from(POLICY.replace('vlan: 300', 'vlan: 5000')),
    });
    await page.getByTestId('policy-filename').waitFor();
    expect(await page.getByTestId('policy-text').inputValue()).toContain('vlan: 5000');
    await page.getByTestId('policy-plan').click();
    await page.getByTestId('policy-problem').waitFor();
    const err = page.getByTestId('policy-error');
    await err.first().waitFor();
    expect(await err.count()).toBe(1);
    // Line 8 of the text, the vfGroups entry's vlan.
    expect(await err.getAttribute('data-field')).toMatch(/^text:8:\d+ spec\.vfGroups\[0\]\.vlan$/);
    expect(await err.textContent()).toMatch(/line 8/);
    expect(await page.getByTestId('plan-result').count()).toBe(0);
    expect(await numVfs(d, 'ens1f1')).toBe(0);
    await err.scrollIntoViewIfNeeded();
    await screenshot(page, 'policy-bad-input');
  });

  it('plans, highlights the disruptive step and whom it hits, refuses to recreate a held VF until forced, applies once confirmed', async () => {
    tab = await openConsole(browser, d.url, d.adminToken, 'policies');
    const { page } = tab;
    await page.getByTestId('policy-text').fill(POLICY);
    await page.getByTestId('policy-plan').click();
    await page.getByTestId('plan-result').waitFor();

    // Each step of the API's plan is a row; exactly the recreate of ens2f0np0 is disruptive.
    const planned = await d.call<{
      plan: { steps: { what: string; netdev: string; disruptive?: string }[] };
      affected: { step: number; attachments: AttachmentView[] }[];
    }>('POST', '/policies/plan', { text: POLICY });
    const steps = planned.plan.steps;
    expect(steps.length).toBeGreaterThan(2);
    const disruptive: number[] = [];
    for (const [i, s] of steps.entries()) {
      const row = page.getByTestId(`plan-step-${i}`);
      expect(await row.textContent()).toContain(s.what);
      expect(await row.getAttribute('data-disruptive')).toBe(s.disruptive ? 'true' : 'false');
      if (s.disruptive) disruptive.push(i);
    }
    expect(await page.getByTestId(`plan-step-${steps.length}`).count()).toBe(0);
    expect(disruptive).toHaveLength(1);
    const hit = disruptive[0]!;
    expect(steps[hit]!.what).toMatch(/ens2f0np0/);
    expect(await page.getByTestId('plan-disruptive-count').textContent()).toBe('1 disruptive');
    // The pod on ens2f0np0 is named on the steps that touch its VF (the recreate among them),
    // and on no step of ens1f1.
    const touching = new Set(
      planned.affected.filter((a) => a.attachments.some((x) => x.id === pod.id)).map((a) => a.step),
    );
    expect(touching.has(hit)).toBe(true);
    for (const [i, s] of steps.entries()) {
      const cell = (await page.getByTestId(`plan-affected-${i}`).textContent()) ?? '';
      if (touching.has(i)) expect(cell, s.what).toContain('pod default/web-0');
      else expect(cell, s.what).toBe('—');
      if (s.netdev === 'ens1f1') expect(touching.has(i)).toBe(false);
    }
    await page.getByTestId(`plan-step-${hit}`).scrollIntoViewIfNeeded();
    await screenshot(page, 'policy-plan');

    // The pod's VF is held in the ledger, so recreating its PF is refused (whatever the VF's
    // driver) until the operator forces it and plans again; nothing can be applied meanwhile.
    const refusal = page.getByTestId('plan-refusal');
    expect(await refusal.textContent()).toContain(`held by attachment ${pod.id}`);
    expect(await page.getByTestId('policy-apply').count()).toBe(0);
    await page.getByTestId('policy-force').check();
    await page.getByTestId('policy-plan').click();
    await page.getByTestId('plan-result').and(page.locator('[data-stale="false"]')).waitFor();
    await refusal.waitFor({ state: 'detached' });

    // Apply waits for the confirmation.
    const apply = page.getByTestId('policy-apply');
    expect(await apply.isDisabled()).toBe(true);
    expect(await numVfs(d, 'ens1f1')).toBe(0);
    await page.getByTestId('policy-confirm-disruptive').check();
    expect(await apply.isEnabled()).toBe(true);
    await apply.click();

    await page.getByTestId('apply-progress').waitFor();
    const result = page.getByTestId('apply-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    const statuses = await page
      .getByTestId('apply-step')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses).toEqual(steps.map(() => 'done'));
    // The read-back is shown per PF: the VFs the policy set on ens1f1 verified, nothing differing.
    const readBack = page.getByTestId('apply-read-back').locator('li');
    const tones = await readBack.evaluateAll((els) => els.map((e) => e.getAttribute('data-tone')));
    expect(tones).not.toContain('danger');
    expect(await readBack.allTextContents()).toContainEqual(
      expect.stringMatching(/ens1f1: 4 VFs verified/),
    );
    await result.scrollIntoViewIfNeeded();
    await screenshot(page, 'policy-applied');

    // The host changed as planned.
    const inv = await d.call<InventoryView>('GET', '/inventory');
    const ens1f1 = inv.pfs.find((p) => p.netdev === 'ens1f1')!;
    expect(ens1f1.numVfs).toBe(4);
    expect(ens1f1.vfs.map((v) => [v.driver, v.config?.vlan])).toEqual(
      Array.from({ length: 4 }, () => ['vfio-pci', 300]),
    );
    expect(inv.pfs.find((p) => p.netdev === 'ens2f0np0')!.numVfs).toBe(8);
    // The pod still holds its VF: the ledger's record survived the recreate.
    const still = await d.call<AttachmentView>('GET', `/attachments/${pod.id}`);
    expect(still).toMatchObject({ pfNetdev: 'ens2f0np0', vfIndex: pod.vfIndex });
  });
});
