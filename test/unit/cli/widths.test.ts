// Terminal tests: what the CLI prints fits the width it was given — a terminal's own, COLUMNS when
// piped, else 120 — on the default host and on the 2048-VF host; --wide prints every column.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { renderAttachments, renderAudit } from '../../../src/cli/render-ledger.js';
import { styleFor, visibleWidth } from '../../../src/cli/format.js';
import type { Attachment, AuditEntry } from '../../../src/contract/index.js';
import { farPolicy } from '../../support/policy-texts.js';

interface Out {
  code: number;
  stdout: string;
}

/** sriovctl with stdout on a terminal `columns` wide (or piped when null) and the given env. */
async function run(argv: string[], columns: number | null, env: Record<string, string> = {}) {
  let stdout = '';
  const code = await main(argv, {
    stdout: {
      write: (s: string) => (stdout += s),
      isTTY: columns !== null,
      ...(columns !== null ? { columns } : {}),
    },
    stderr: { write: () => true, isTTY: false },
    env: { NO_COLOR: '1', ...env },
  });
  return { code, stdout } satisfies Out;
}

function widest(text: string): number {
  return Math.max(...text.split('\n').map(visibleWidth));
}

const dir = mkdtempSync(join(tmpdir(), 'sriovctl-widths-'));
const TENANT = join(dir, 'tenant.yaml');
writeFileSync(
  TENANT,
  `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: tenant-a }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 8
  mtu: 9000
  vfGroups:
    - { range: 0-3, driver: host, mac: auto, vlan: 100, maxTxRate: 10000 }
    - { range: 4-7, driver: vfio-pci, vlan: 200 }
`,
);
const FAR = join(dir, 'far.yaml');
writeFileSync(FAR, farPolicy('{ range: 0-255, driver: vfio-pci, vlan: 100, maxTxRate: 1000 }'));

const COMMANDS: [string, string[]][] = [
  ['overview', ['--sim']],
  ['inventory', ['--sim', 'inventory']],
  ['plan', ['--sim', 'plan', '-f', TENANT]],
  ['apply', ['--sim', 'apply', '-f', TENANT, '--yes']],
  ['overview (2048 VFs)', ['--sim', 'e810-8x256']],
  ['inventory (2048 VFs)', ['--sim', 'e810-8x256', 'inventory']],
  ['inventory --vfs (2048 VFs)', ['--sim', 'e810-8x256', 'inventory', '--vfs']],
  ['plan (2048 VFs)', ['--sim', 'e810-8x256', 'plan', '-f', FAR]],
];

describe('every line fits the width', () => {
  it.each(COMMANDS)('%s: piped, 120 columns unless COLUMNS says otherwise', async (_n, argv) => {
    const piped = await run(argv, null);
    expect(piped.code).toBe(0);
    expect(widest(piped.stdout)).toBeLessThanOrEqual(120);
    const narrow = await run(argv, null, { COLUMNS: '90' });
    expect(widest(narrow.stdout)).toBeLessThanOrEqual(90);
  });

  it.each(COMMANDS)("%s: a terminal's own width, boxed tables included", async (_n, argv) => {
    for (const columns of [100, 80]) {
      const r = await run(argv, columns, { COLUMNS: '200' });
      expect(r.code).toBe(0);
      expect(widest(r.stdout)).toBeLessThanOrEqual(columns);
    }
  });
});

describe('--wide and big hosts', () => {
  it('inventory --wide prints every column, wider than 120', async () => {
    const r = await run(['--sim', 'inventory', '--wide'], null);
    expect(r.stdout).toMatch(
      / LINK-STATE +IOMMU +NUMA +RX bytes\/pkts +TX bytes\/pkts +OVERRIDE$/m,
    );
    expect(widest(r.stdout)).toBeGreaterThan(120);
  });

  it('plan --wide prints the table at full width, nothing cut', async () => {
    const r = await run(['--sim', 'plan', '-f', TENANT, '--wide'], null);
    expect(r.stdout).toMatch(/^# +PF +STEP +DISRUPTIVE +WHY$/m);
    expect(r.stdout).toContain('yes: most drivers reset the link when the MTU changes');
    const fitted = await run(['--sim', 'plan', '-f', TENANT], null, { COLUMNS: '80' });
    expect(fitted.stdout).toMatch(/^# +STEP +DISRUPTIVE +WHY$/m);
    // Wrapped, not cut: the reason goes on under itself.
    expect(fitted.stdout).not.toContain('…');
    expect(fitted.stdout).toMatch(/^1 +set MTU of ens1f1 to 9000 +yes: most drivers /m);
    expect(fitted.stdout).toMatch(/^ {20,}.*\bchanges$/m);
  });

  it('summarises the 2048-VF host per PF; --limit and --vfs ask for rows', async () => {
    const summary = await run(['--sim', 'e810-8x256', 'inventory'], null);
    const lines = summary.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(60);
    expect(summary.stdout).toMatch(/^ {2}256 VFs: 256 on iavf$/m);
    expect(summary.stdout).toContain('VFs 34-255: unreadable (netlink VF list truncated)');
    expect(lines.at(-1)).toMatch(/--limit N/);
    const limited = await run(['--sim', 'e810-8x256', 'inventory', '--limit', '3'], null);
    expect(limited.stdout.match(/^ +2 {2}\S+ +iavf /gm)).toHaveLength(8);
    expect(limited.stdout.match(/^ +3 {2}\S+ +iavf /gm)).toBeNull();
    expect(limited.stdout).toContain('  … and 253 more VFs (--vfs lists them all)');
    const all = await run(['--sim', 'e810-8x256', 'inventory', '--vfs'], null);
    expect(all.stdout.match(/^ +255 {2}/gm)).toHaveLength(8);
    // One PF asked for is listed whole.
    const one = await run(['--sim', 'e810-8x256', 'inventory', '--pf', 'ens1f0'], null);
    expect(one.stdout.match(/^ +255 {2}/gm)).toHaveLength(1);
    const bad = await run(['--sim', 'e810-8x256', 'inventory', '--limit', 'some'], null);
    expect(bad.code).toBe(64);
  });
});

describe('ledger tables fit', () => {
  const attachment = (i: number): Attachment =>
    ({
      id: `01a25336-0709-762f-bb58-9047dc78${String(i).padStart(4, '0')}`,
      host: 'compute-17',
      tenant: 'tenant-with-a-rather-long-name',
      pool: 'e810-vfio-pool-for-dpdk',
      consumer: { kind: 'pod', name: 'namespace-of-some-length/web-frontend-0', host: 'node-3' },
      interface: 'net0',
      pf: '0000:3b:00.0',
      pfNetdev: 'ens1f0',
      vfIndex: 100 + i,
      vfPciAddress: '0000:3b:0d.4',
      numaNode: 0,
      mac: '02:00:00:00:00:aa',
      vlan: 100,
      qos: 3,
      minTxRate: 1000,
      maxTxRate: 25000,
      trust: false,
      spoofchk: true,
      linkState: 'auto',
      state: 'attached',
    }) as unknown as Attachment;
  const entry = (seq: number): AuditEntry =>
    ({
      seq,
      at: '2026-12-08T01:02:03.456Z',
      actor: 'ci-bot-of-the-platform-team',
      action: 'attachment.create',
      tenant: 'tenant-with-a-rather-long-name',
      target: `attachment/01a25336-0709-762f-bb58-9047dc78${String(seq).padStart(4, '0')}`,
      before: null,
      after: null,
    }) as unknown as AuditEntry;

  it.each([120, 100, 80])('attachments and audit at %i columns, piped and boxed', (columns) => {
    for (const isTTY of [false, true]) {
      const style = styleFor(
        { write: () => true, isTTY, columns },
        { COLUMNS: String(columns), NO_COLOR: '1' },
      );
      const a = renderAttachments([attachment(1), attachment(2)], style);
      expect(widest(a)).toBeLessThanOrEqual(columns);
      // The short ID, the VF and the state are never cut.
      expect(a).toContain('dc780001');
      expect(a).toContain('ens1f0#101');
      expect(a).toContain('attached');
      expect(widest(renderAudit([entry(1), entry(2)], style))).toBeLessThanOrEqual(columns);
    }
  });
});
