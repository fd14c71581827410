/** Renders an inventory as text: one header block per PF, then its VF table. */
import { formatRanges } from '../doctor/result.js';
import type { Inventory, PfSnapshot, VfSnapshot } from '../inventory/types.js';
import {
  formatBytes,
  formatSpeed,
  renderTable,
  truncate,
  unlimited,
  wrapParts,
  wrapText,
  type Style,
} from './format.js';

/** What a VF cell shows when the kernel's truncated netlink list did not include the VF. */
export const UNREADABLE = '?';
export const UNREADABLE_NOTE = 'unreadable (netlink VF list truncated)';

export interface InventoryRenderOptions {
  wide: boolean;
  /** At most this many VF rows per PF (0: a one-line summary per PF); absent: every VF. */
  limit?: number;
}

/** Past this many VFs on more than one PF, `inventory` and the overview summarise each PF's VFs. */
export const SUMMARY_ABOVE_VFS = 64;

/** The VF rows to print by default: all of them on a small host, a summary on a big one. */
export function defaultVfLimit(inv: Inventory): number | undefined {
  const total = inv.pfs.reduce((n, pf) => n + pf.vfs.length, 0);
  // One PF (`--pf ens1f0`) is a question about its VFs: they are listed, however many.
  return total > SUMMARY_ABOVE_VFS && inv.pfs.length > 1 ? 0 : undefined;
}

/** `256 VFs: 256 on iavf` — what the VF table would show, in a line. */
function vfSummary(pf: PfSnapshot): string {
  const drivers = new Map<string, number>();
  for (const vf of pf.vfs)
    drivers.set(vf.driver ?? '(no driver)', (drivers.get(vf.driver ?? '(no driver)') ?? 0) + 1);
  const on = [...drivers].map(([d, n]) => `${n} on ${d}`).join(', ');
  return `  ${pf.vfs.length} VFs: ${on}`;
}

function onOff(v: boolean | null): string {
  // null: the driver did not report the setting (-1 in IFLA_VF_*), which is not the same as off.
  return v === null ? 'n/a' : v ? 'on' : 'off';
}

function pfFlags(pf: PfSnapshot, style: Style): string[] {
  const { c } = style;
  const flags: string[] = [];
  if (pf.carriesDefaultRoute) flags.push(c.yellow('DEFAULT-ROUTE'));
  for (const m of pf.managedBy) flags.push(c.yellow(`managed by ${m.manager}`));
  if (pf.totalVfs === 0) flags.push(c.red('SR-IOV DISABLED'));
  if (pf.driver === null) flags.push(c.red('NO DRIVER'));
  if (pf.vfListTruncated) flags.push(c.yellow('VF LIST TRUNCATED'));
  return flags;
}

function linkText(pf: PfSnapshot): string {
  if (pf.netdev === null) return 'no netdev';
  if (pf.adminUp === false) return 'link admin-down';
  if (pf.linkUp === true) return `link up ${formatSpeed(pf.speedMbps)}`;
  if (pf.linkUp === false) return 'link down (no carrier)';
  return 'link unknown';
}

/** The PF header: address, netdev, model, then one line of facts and flags. */
export function renderPfHeader(pf: PfSnapshot, style: Style): string {
  const { c } = style;
  const name = `${pf.vendorName} ${pf.deviceName}`.trim();
  const first = `${c.bold(`PF ${pf.pciAddress}`)}  ${c.bold(pf.netdev ?? '(no netdev)')}  ${name}${pf.bus === 'netdevsim' ? ' (bus netdevsim)' : ` [${pf.vendorId}:${pf.deviceId}]`}`;
  const driver = pf.driver
    ? `driver ${pf.driver}${pf.driverVersion ? ` ${pf.driverVersion}` : ''}`
    : 'no driver';
  const facts = [
    driver,
    `firmware ${pf.firmware.version ?? 'unknown'}`,
    linkText(pf),
    `NUMA ${pf.numaNode}`,
    `VFs ${pf.numVfs}/${pf.totalVfs}`,
    `eswitch ${pf.eswitchMode ?? 'n/a'}`,
  ];
  const flags = pfFlags(pf, style).map((f) => `[${f}]`);
  // The flags stay with the last fact (two spaces apart); the facts wrap to fit the width.
  if (flags.length > 0) facts.push(`${facts.pop()!}  ${flags.join(' ')}`);
  const width = style.width;
  const factsLine = wrapParts(facts, ' · ', '  ', width);
  return `${width === null ? first : truncate(first, width)}\n${factsLine}`;
}

function vlanText(vf: VfSnapshot): string {
  const cfg = vf.config!;
  if (cfg.vlan === 0 && cfg.qos === 0) return '-';
  const proto = cfg.vlanProto === '802.1ad' ? ' (802.1ad)' : '';
  return `${cfg.vlan}/${cfg.qos}${proto}`;
}

function rateText(vf: VfSnapshot): string {
  const { minTxRate, maxTxRate } = vf.config!;
  if (minTxRate === 0 && maxTxRate === 0) return '-';
  return `${minTxRate || '-'}/${maxTxRate || '-'}`;
}

function vfRow(vf: VfSnapshot, opts: InventoryRenderOptions, style: Style): string[] {
  const base = [String(vf.vfIndex), vf.pciAddress ?? '-', vf.driver ?? '(none)', vf.netdev ?? '-'];
  const cfg = vf.config;
  const settings =
    cfg === null
      ? Array<string>(6).fill(style.c.yellow(UNREADABLE))
      : [cfg.mac, vlanText(vf), rateText(vf), onOff(cfg.spoofchk), onOff(cfg.trust), cfg.linkState];
  if (!opts.wide) return [...base, ...settings];
  const counters =
    cfg === null
      ? [UNREADABLE, UNREADABLE]
      : cfg.counters === null
        ? ['-', '-']
        : [
            `${formatBytes(cfg.counters.rxBytes)} / ${cfg.counters.rxPackets}`,
            `${formatBytes(cfg.counters.txBytes)} / ${cfg.counters.txPackets}`,
          ];
  return [
    ...base,
    ...settings,
    vf.iommuGroup === null ? '-' : String(vf.iommuGroup),
    String(vf.numaNode),
    ...counters,
    vf.driverOverride ?? '-',
  ];
}

const HEAD = [
  'VF',
  'PCI',
  'DRIVER',
  'NETDEV',
  'MAC',
  'VLAN/QOS',
  'RATE min/max',
  'SPOOFCHK',
  'TRUST',
  'LINK-STATE',
];
const WIDE_HEAD = ['IOMMU', 'NUMA', 'RX bytes/pkts', 'TX bytes/pkts', 'OVERRIDE'];

/** One PF block: header, VF table (or why there is none), and the unreadable-VF note. */
export function renderPf(pf: PfSnapshot, opts: InventoryRenderOptions, given: Style): string {
  // --wide is every column, whatever the width.
  const style = opts.wide ? unlimited(given) : given;
  const parts = [renderPfHeader(pf, style)];
  if (pf.vfs.length === 0) {
    parts.push(`  no VFs (numVfs ${pf.numVfs} of ${pf.totalVfs})`);
    return parts.join('\n');
  }
  const shown = opts.limit === undefined ? pf.vfs : pf.vfs.slice(0, opts.limit);
  if (shown.length === 0) parts.push(vfSummary(pf));
  else
    parts.push(
      renderTable(
        {
          head: opts.wide ? [...HEAD, ...WIDE_HEAD] : HEAD,
          rows: shown.map((vf) => vfRow(vf, opts, style)),
          right: [0],
          indent: '  ',
          // On a narrow terminal: the per-VF switches go first, then the names PCI and MAC stand for.
          drop: [9, 7, 8, 3],
        },
        style,
      ),
    );
  if (shown.length > 0 && shown.length < pf.vfs.length)
    parts.push(`  … and ${pf.vfs.length - shown.length} more VFs (--vfs lists them all)`);
  const unreadable = pf.vfs.filter((vf) => vf.config === null).map((vf) => vf.vfIndex);
  if (unreadable.length > 0) {
    parts.push(
      style.c.yellow(
        wrapText(
          `  VFs ${formatRanges(unreadable)}: ${UNREADABLE_NOTE}; their settings are unknown, not unset`,
          style.width,
        ),
      ),
    );
  }
  return parts.join('\n');
}

/** The whole inventory, PFs separated by a blank line. */
export function renderInventory(
  inv: Inventory,
  opts: InventoryRenderOptions,
  style: Style,
): string {
  const blocks = inv.pfs.map((pf) => renderPf(pf, opts, style));
  if (opts.limit === 0 && inv.pfs.some((pf) => pf.vfs.length > 0))
    blocks.push(
      wrapParts(
        [
          `${inv.pfs.reduce((n, pf) => n + pf.vfs.length, 0)} VFs, summarised per PF:`,
          '--vfs lists every VF,',
          '--limit N the first N of each PF,',
          '--pf one PF only',
        ],
        ' ',
        '',
        style.width,
      ),
    );
  return blocks.join('\n\n');
}
