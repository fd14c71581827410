/** Renders the ledger's resources as the API answers them: tables for lists, fields for one. */
import {
  shortAttachmentId,
  type Attachment,
  type AttachmentState,
  type AttachResult,
  type AuditEntry,
  type Consumer,
  type Pool,
  type PoolSelector,
  type PoolVf,
  type PlacementPreview,
  type Tenant,
  type TokenRecord,
} from '../contract/index.js';
import { formatSpeed, renderTable, unlimited, visibleWidth, type Style } from './format.js';

/** `name: value` lines with the values aligned. */
export function renderFields(rows: readonly (readonly [string, string])[], style: Style): string {
  const width = Math.max(...rows.map(([k]) => visibleWidth(k))) + 1;
  return rows
    .map(([k, v]) => `${style.c.bold(`${k}:`)}${' '.repeat(width - k.length)} ${v}`)
    .join('\n');
}

/** A consumer the way `--consumer` takes it: `vm:web-1@compute-17`. */
export function consumerText(c: Consumer): string {
  return `${c.kind}:${c.name}@${c.host}`;
}

/** `ens1f0#3`: the VF as people name it (PF netdev, or its PCI address, and the VF index). */
function vfText(pfNetdev: string | null, pf: string, vfIndex: number): string {
  return `${pfNetdev ?? pf}#${vfIndex}`;
}

function mbps(n: number | undefined): string {
  return n === undefined ? 'no limit' : n === 0 ? '0' : formatSpeed(n);
}

function rates(a: Pick<Attachment, 'minTxRate' | 'maxTxRate'>): string {
  if (a.minTxRate === 0 && a.maxTxRate === 0) return '-';
  return `${a.minTxRate || '-'}/${a.maxTxRate || '-'}`;
}

function vlanOf(a: Pick<Attachment, 'vlan' | 'qos' | 'mac' | 'vlanProto'>): string {
  // A VF without a network (its PF has no netdev) has no VLAN either.
  if (a.mac === null) return '-';
  if (a.vlan === 0) return 'untagged';
  // 802.1Q is the default and goes unsaid (a daemon from before vlanProto sends none).
  const proto = a.vlanProto === '802.1ad' ? ' 802.1ad' : '';
  return `${a.qos ? `${a.vlan} qos ${a.qos}` : String(a.vlan)}${proto}`;
}

/** Audit and record timestamps without milliseconds: `2026-11-25 14:40:34Z`. */
function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function paintState(s: AttachmentState | PoolVf['status'], style: Style): string {
  const { c } = style;
  if (s === 'attached' || s === 'free') return c.green(s);
  if (s === 'failed' || s === 'orphaned' || s === 'unusable') return c.red(s);
  if (s === 'taken') return c.dim(s);
  return c.yellow(s);
}

export function renderTenants(items: readonly Tenant[], style: Style): string {
  if (items.length === 0) return 'No tenants. Create one with `sriovctl tenant create NAME ...`.';
  return renderTable(
    {
      head: ['NAME', 'POOLS', 'VLANS', 'MAX VFS', 'MAX GUARANTEED', 'TRUST'],
      rows: items.map((t) => [
        t.name,
        t.pools.join(',') || '-',
        t.vlans,
        t.maxVfs === undefined ? '-' : String(t.maxVfs),
        t.maxGuaranteedMbps === undefined ? '-' : formatSpeed(t.maxGuaranteedMbps),
        t.allowTrust ? 'allowed' : 'no',
      ]),
      right: [3],
    },
    style,
  );
}

/** One tenant, with what it holds now (its attachments' VFs and guaranteed rates). */
export function renderTenant(t: Tenant, held: readonly Attachment[], style: Style): string {
  const guaranteed = held.reduce((n, a) => n + a.minTxRate, 0);
  return renderFields(
    [
      ['name', t.name],
      ...(t.description ? ([['description', t.description]] as const) : []),
      ['pools', t.pools.join(', ') || '(none)'],
      ['vlans', t.vlans],
      ['VFs held', `${held.length} of ${t.maxVfs ?? 'no limit'}`],
      [
        'guaranteed',
        `${guaranteed ? formatSpeed(guaranteed) : '0'} of ${mbps(t.maxGuaranteedMbps)}`,
      ],
      ['trust', t.allowTrust ? 'may be granted' : 'not allowed (spoofchk stays on)'],
      ['created', when(t.createdAt)],
      ['updated', when(t.updatedAt)],
    ],
    style,
  );
}

/** `pfNames ens1f0#0-63; drivers ice; vfRange 0-63`. */
export function selectorText(s: PoolSelector): string {
  const parts: string[] = [];
  if (s.pfNames?.length) parts.push(`pfNames ${s.pfNames.join(',')}`);
  if (s.pciAddresses?.length) parts.push(`pciAddresses ${s.pciAddresses.join(',')}`);
  if (s.vendor) parts.push(`vendor ${s.vendor}`);
  if (s.deviceID) parts.push(`deviceID ${s.deviceID}`);
  if (s.drivers?.length) parts.push(`drivers ${s.drivers.join(',')}`);
  if (s.vfRange) parts.push(`vfRange ${s.vfRange}`);
  return parts.join('; ');
}

export function renderPools(
  items: readonly { pool: Pool; vfs: readonly PoolVf[] }[],
  style: Style,
): string {
  if (items.length === 0) return 'No pools. Create one with `sriovctl pool create NAME ...`.';
  return renderTable(
    {
      head: ['NAME', 'VF DRIVER', 'VFS', 'FREE', 'SELECTOR'],
      rows: items.map(({ pool, vfs }) => [
        pool.name,
        pool.vfDriver,
        String(vfs.length),
        String(vfs.filter((v) => v.status === 'free').length),
        selectorText(pool.selector),
      ]),
      right: [2, 3],
    },
    style,
  );
}

export function renderPool(p: Pool, vfs: readonly PoolVf[], style: Style): string {
  const pfs = [...new Set(vfs.map((v) => v.pfNetdev ?? v.pf))];
  return renderFields(
    [
      ['name', p.name],
      ...(p.description ? ([['description', p.description]] as const) : []),
      ['selector', selectorText(p.selector)],
      ['VF driver', p.vfDriver],
      [
        'VFs',
        `${vfs.length} on ${pfs.length} PF${pfs.length === 1 ? '' : 's'}${pfs.length ? ` (${pfs.join(', ')})` : ''}`,
      ],
      ['free', String(vfs.filter((v) => v.status === 'free').length)],
      ...unusableFields(vfs),
      ['created', when(p.createdAt)],
      ['updated', when(p.updatedAt)],
    ],
    style,
  );
}

export function renderPoolVfs(items: readonly PoolVf[], style: Style): string {
  if (items.length === 0)
    return 'The pool covers no VFs on this host (check its selector against `sriovctl inventory`).';
  return (
    renderTable(
      {
        head: ['VF', 'PCI', 'NUMA', 'DRIVER', 'STATUS', 'TENANT', 'CONSUMER', 'ATTACHMENT'],
        rows: items.map((v) => [
          vfText(v.pfNetdev, v.pf, v.vfIndex),
          v.pciAddress,
          v.numaNode,
          v.driver,
          paintState(v.state ?? v.status, style),
          v.tenant,
          v.consumer ? consumerText(v.consumer) : null,
          v.attachment === undefined ? null : shortAttachmentId(v.attachment),
        ]),
        right: [2],
      },
      style,
    ) + unusableNote(items)
  );
}

/** `unusable: 2 without an IOMMU group ...` and its fix, for a pool's fields; none when all can work. */
function unusableFields(vfs: readonly PoolVf[]): [string, string][] {
  const bad = vfs.filter((v) => v.unusable);
  if (bad.length === 0) return [];
  const reasons = [...new Set(bad.map((v) => v.unusable!.reason))];
  const fixes = [...new Set(bad.map((v) => v.unusable!.fix))];
  return [
    ['unusable', `${bad.length} ${reasons.join('; ')}`],
    ['fix', fixes.join('; ')],
  ];
}

/** Why some VFs are unusable and how to fix it, once per reason, below a VF table. */
function unusableNote(items: readonly PoolVf[]): string {
  const why = new Map<string, { fix: string; n: number }>();
  for (const v of items) {
    if (!v.unusable) continue;
    const e = why.get(v.unusable.reason) ?? { fix: v.unusable.fix, n: 0 };
    e.n++;
    why.set(v.unusable.reason, e);
  }
  return [...why]
    .map(
      ([reason, { fix, n }]) => `\nunusable: ${n} VF${n === 1 ? '' : 's'} ${reason}\n  fix: ${fix}`,
    )
    .join('');
}

/** The attachments table; IDs in their short form unless `wide` asks for them in full. */
export function renderAttachments(
  items: readonly Attachment[],
  style: Style,
  opts: { wide?: boolean } = {},
): string {
  if (items.length === 0) return 'No attachments.';
  // Grouped as people look for them: by tenant, then consumer, then interface.
  const key = (a: Attachment) => [a.tenant, consumerText(a.consumer), a.interface];
  const sorted = [...items].sort((x, y) => {
    const [a, b] = [key(x), key(y)];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  });
  return renderTable(
    {
      head: ['ID', 'TENANT', 'POOL', 'CONSUMER', 'IFACE', 'VF', 'MAC', 'VLAN', 'MIN/MAX', 'STATE'],
      rows: sorted.map((a) => [
        opts.wide === true ? a.id : shortAttachmentId(a.id),
        a.tenant,
        a.pool,
        consumerText(a.consumer),
        a.interface,
        vfText(a.pfNetdev, a.pf, a.vfIndex),
        a.mac ?? '-',
        vlanOf(a),
        rates(a),
        paintState(a.state, style),
      ]),
      // Too narrow: MAC and rates go first; names are cut, never the ID, VF or state.
      drop: [6, 8],
      shrink: [3, 1, 2, 4],
    },
    opts.wide === true ? unlimited(style) : style,
  );
}

/** What attach did: the VFs, how they were chosen, and the placement numbers. */
export function renderAttachResult(r: AttachResult, style: Style, placement: string): string {
  const first = r.attachments[0];
  const head = first
    ? `Attached ${r.attachments.length} VF${r.attachments.length === 1 ? '' : 's'} to ${consumerText(first.consumer)} (tenant ${first.tenant}, pool ${first.pool}):`
    : 'Attached nothing.';
  const table = renderTable(
    {
      head: ['ID', 'IFACE', 'VF', 'PCI', 'NUMA', 'MAC', 'VLAN', 'MIN/MAX', 'TRUST', 'SPOOFCHK'],
      rows: r.attachments.map((a) => [
        shortAttachmentId(a.id),
        a.interface,
        vfText(a.pfNetdev, a.pf, a.vfIndex),
        a.vfPciAddress ?? '-',
        String(a.numaNode),
        a.mac ?? '-',
        vlanOf(a),
        rates(a),
        a.trust ? 'on' : 'off',
        a.spoofchk ? 'on' : 'off',
      ]),
      right: [4],
    },
    style,
  );
  const why = r.attachments.map((a, i) => `  ${a.interface}: ${r.reasons[i] ?? ''}`);
  return [head, table, placement, ...why].join('\n');
}

/** A dry run that fits: the VFs it would take and why. */
export function renderPreview(p: PlacementPreview, style: Style, placement: string): string {
  const n = p.choices.length;
  return [
    `Would attach ${n} VF${n === 1 ? '' : 's'} (dry run; nothing was changed):`,
    renderTable(
      {
        head: ['VF', 'NUMA', 'WHY'],
        rows: p.choices.map((c) => [
          vfText(c.pfNetdev, c.pf, c.vfIndex),
          String(c.numaNode),
          c.why,
        ]),
        right: [1],
      },
      style,
    ),
    ...(placement ? [placement] : []),
  ].join('\n');
}

export function renderAudit(items: readonly AuditEntry[], style: Style): string {
  if (items.length === 0) return 'No audit entries match.';
  return renderTable(
    {
      head: ['SEQ', 'AT', 'ACTOR', 'ACTION', 'TENANT', 'TARGET'],
      rows: items.map((e) => [
        String(e.seq),
        when(e.at),
        e.actor,
        e.action,
        e.tenant ?? '-',
        e.target,
      ]),
      right: [0],
      // Too narrow: long targets and actor names are cut first.
      shrink: [5, 2, 3, 4],
    },
    style,
  );
}

export function renderTokens(items: readonly TokenRecord[], style: Style): string {
  if (items.length === 0) return 'No tokens.';
  return renderTable(
    {
      head: ['ID', 'NAME', 'ROLE', 'TENANT', 'CREATED'],
      rows: items.map((t) => [t.id, t.name, t.role, t.tenant ?? '-', when(t.createdAt)]),
    },
    style,
  );
}
