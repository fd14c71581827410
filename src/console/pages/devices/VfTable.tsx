/**
 * The VF table, virtualized: only the rows in view (plus a few) are in the DOM, so a host with
 * thousands of VFs scrolls and filters instantly. PatternFly table markup, with spacer rows above
 * and below the rendered window standing in for the rows that are not.
 */
import { Button } from '@patternfly/react-core';
import { Table, Tbody, Thead } from '@patternfly/react-table';
import tableStyles from '@patternfly/react-styles/css/components/Table/table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { OnOff } from '../../components/labels.js';
import { formatBitRate, formatMbps, formatVlan } from '../../lib/format.js';
import type { TrafficHistory } from '../../lib/traffic.js';
import type { VfRow } from './rows.js';

/** Every row is one line (nowrap), so one height fits all and nothing needs measuring. */
export const ROW_HEIGHT = 37;

// Rows are plain elements with PatternFly's classes: PatternFly's Td measures itself after mount
// (to offer a tooltip when truncated), which forces a layout per cell and a second render.
const TR = tableStyles.tableTr;
const TD = tableStyles.tableTd;
const TH = tableStyles.tableTh;

/**
 * Fixed column widths (table-layout: fixed): the browser lays the table out from these instead of
 * measuring every cell, and columns keep their width while different rows scroll into view.
 */
const COLUMNS: [string, string][] = [
  ['PF', '6rem'],
  ['VF', '3.5rem'],
  ['PCI', '9rem'],
  ['Driver', '6rem'],
  ['MAC', '11.5rem'],
  ['VLAN', '6rem'],
  ['Rate min / max', '10rem'],
  ['Trust', '4rem'],
  ['Spoofchk', '5.5rem'],
  ['Link', '4.5rem'],
  ['Consumer', '16rem'],
  ['rx', '7rem'],
  ['tx', '7rem'],
];
const CLICKABLE = tableStyles.modifiers.clickable;
const SELECTED = tableStyles.modifiers.selected;

export function VfTable({
  rows,
  showPf,
  traffic,
  selected,
  onSelect,
}: {
  rows: readonly VfRow[];
  showPf: boolean;
  traffic: TrafficHistory;
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virt = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 10,
  });
  const items = virt.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = Math.max(0, virt.getTotalSize() - (items[items.length - 1]?.end ?? 0));

  // A new filter starts at the top: staying scrolled deep into a shorter list shows nothing.
  const first = rows[0]?.key;
  // The virtualizer's own offset says whether that is needed: reading or setting the element's
  // scrollTop forces a layout before the new rows are even painted.
  const offset = virt.scrollOffset ?? 0;
  const offsetRef = useRef(offset);
  useEffect(() => {
    offsetRef.current = offset;
  });
  useEffect(() => {
    if (offsetRef.current > 0) scrollRef.current?.scrollTo({ top: 0 });
  }, [first, rows.length]);

  const ready = items.length > 0 || rows.length === 0;
  useEffect(() => {
    if (ready) performance.mark('sriov:vf-table-ready');
  }, [ready]);

  return (
    <div
      ref={scrollRef}
      className="sriov-vf-scroll"
      data-testid="vf-scroll"
      data-ready={ready ? 'true' : 'false'}
      data-rows={rows.length}
    >
      <Table
        aria-label="Virtual functions"
        variant="compact"
        isStickyHeader
        data-testid="vf-table"
        aria-rowcount={rows.length + 1}
        className="sriov-vf-table"
      >
        <colgroup>
          {(showPf ? COLUMNS : COLUMNS.slice(1)).map(([name, width]) => (
            <col key={name} style={{ width }} />
          ))}
        </colgroup>
        <Thead>
          <tr className={TR}>
            {(showPf ? COLUMNS : COLUMNS.slice(1)).map(([name]) => (
              <th key={name} className={TH} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </Thead>
        <Tbody>
          {padTop > 0 && (
            <tr aria-hidden="true" style={{ height: padTop }}>
              <td
                colSpan={showPf ? COLUMNS.length : COLUMNS.length - 1}
                style={{ padding: 0, border: 0 }}
              />
            </tr>
          )}
          {items.map((vi) => {
            const r = rows[vi.index]!;
            const c = r.vf.config;
            const a = r.attachment;
            const rate = r.pf.netdev ? traffic.vf(r.pf.netdev, r.vf.vfIndex) : undefined;
            const id = `${r.pfName}-${r.vf.vfIndex}`;
            const isSelected = selected === r.key;
            return (
              <tr
                key={r.key}
                data-testid={`vf-row-${id}`}
                data-vf-key={r.key}
                aria-rowindex={vi.index + 2}
                aria-selected={isSelected}
                className={`${TR} sriov-vf-row ${CLICKABLE}${isSelected ? ` ${SELECTED}` : ''}`}
                onClick={() => onSelect(r.key)}
              >
                {showPf && <td className={TD}>{r.pfName}</td>}
                <td className={TD}>
                  <Button
                    variant="link"
                    isInline
                    data-testid={`vf-open-${id}`}
                    aria-label={`Details of ${r.pfName} VF ${r.vf.vfIndex}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      onSelect(r.key);
                    }}
                  >
                    {r.vf.vfIndex}
                  </Button>
                </td>
                <td className={`${TD} sriov-mono`}>{r.vf.pciAddress ?? '—'}</td>
                <td className={TD}>
                  {r.vf.driver ?? <span className="sriov-muted">unbound</span>}
                </td>
                {c ? (
                  <>
                    <td className={`${TD} sriov-mono`}>{c.mac}</td>
                    <td className={TD}>{formatVlan(c.vlan, c.qos)}</td>
                    <td className={TD}>
                      {formatMbps(c.minTxRate, '0')} / {formatMbps(c.maxTxRate, '∞')}
                    </td>
                    <td className={TD}>
                      <OnOff value={c.trust} />
                    </td>
                    <td className={TD}>
                      <OnOff value={c.spoofchk} />
                    </td>
                    <td className={TD}>{c.linkState}</td>
                  </>
                ) : (
                  <td className={TD} colSpan={6}>
                    <span
                      className="sriov-unknown"
                      title="The kernel's VF list for this PF was truncated: these settings cannot be read"
                    >
                      settings unknown
                    </span>
                  </td>
                )}
                <td className={TD} data-testid={`vf-consumer-${id}`}>
                  {a ? (
                    <>
                      <strong>{a.tenant}</strong> {a.consumer.kind}/{a.consumer.name} {a.interface}
                      {a.state !== 'attached' && <span className="sriov-unknown"> {a.state}</span>}
                    </>
                  ) : (
                    <span className="sriov-muted">free</span>
                  )}
                </td>
                <td className={TD}>{formatBitRate(rate?.rxBytesPerS)}</td>
                <td className={TD}>{formatBitRate(rate?.txBytesPerS)}</td>
              </tr>
            );
          })}
          {padBottom > 0 && (
            <tr aria-hidden="true" style={{ height: padBottom }}>
              <td
                colSpan={showPf ? COLUMNS.length : COLUMNS.length - 1}
                style={{ padding: 0, border: 0 }}
              />
            </tr>
          )}
        </Tbody>
      </Table>
    </div>
  );
}
