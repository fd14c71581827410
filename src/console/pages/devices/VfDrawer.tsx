/** One VF in detail: settings, counters, live throughput, who holds it and its audit history. */
import {
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  DrawerActions,
  DrawerCloseButton,
  DrawerHead,
  DrawerPanelBody,
  DrawerPanelContent,
  List,
  ListItem,
  Title,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import type { AuditEntry, AuditPage } from '../../../contract/index.js';
import { OnOff, StateLabel } from '../../components/labels.js';
import { Sparkline } from '../../components/Sparkline.js';
import { Empty, Loading, ProblemAlert } from '../../components/states.js';
import { shortAttachmentId } from '../../../contract/attachment-id.js';
import { formatBitRate, formatMbps, formatTime, formatVlan } from '../../lib/format.js';
import type { TrafficHistory } from '../../lib/traffic.js';
import { useApi } from '../../state/useApi.js';
import type { VfRow } from './rows.js';

function Item({ term, children, testId }: { term: string; children: ReactNode; testId?: string }) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription data-testid={testId}>{children}</DescriptionListDescription>
    </DescriptionListGroup>
  );
}

/** Whether an audit entry's before/after record is an attachment of this VF. */
function isOfVf(e: AuditEntry, pf: string, vf: number): boolean {
  for (const side of [e.before, e.after]) {
    if (typeof side === 'object' && side !== null) {
      const s = side as { pf?: unknown; vfIndex?: unknown };
      if (s.pf === pf && s.vfIndex === vf) return true;
    }
  }
  return false;
}

function History({ row }: { row: VfRow }) {
  const a = row.attachment;
  const current = useApi<AuditPage>(
    a ? `/audit?target=${encodeURIComponent(`attachment/${a.id}`)}&limit=50` : null,
  );
  // Earlier holders: the audit has no VF index, so recent detaches are read and matched here.
  const earlier = useApi<AuditPage>('/audit?action=attachment.delete&limit=500');
  const entries = [
    ...(current.data?.items ?? []),
    ...(earlier.data?.items ?? []).filter(
      (e) =>
        isOfVf(e, row.pf.pciAddress, row.vf.vfIndex) &&
        !current.data?.items.some((c) => c.seq === e.seq),
    ),
  ].sort((x, y) => y.seq - x.seq);
  if (current.error) return <ProblemAlert error={current.error} testId="vf-history-error" />;
  if (earlier.error) return <ProblemAlert error={earlier.error} testId="vf-history-error" />;
  if ((a && !current.data) || !earlier.data) return <Loading what="history" />;
  if (entries.length === 0)
    return (
      <Empty title="No history" testId="vf-history-empty">
        No attachment of this VF is in the audit log.
      </Empty>
    );
  return (
    <List isPlain data-testid="vf-history">
      {entries.map((e) => (
        <ListItem key={e.seq} data-testid="vf-history-item" data-action={e.action}>
          <strong>{e.action}</strong> by {e.actor} · {formatTime(e.at)}
          <div className="sriov-muted">
            {e.target.replace(
              /^attachment\/(.*)$/,
              (_m, id: string) => `attachment ${shortAttachmentId(id)}`,
            )}
            {e.tenant ? ` · tenant ${e.tenant}` : ''}
          </div>
        </ListItem>
      ))}
    </List>
  );
}

export function VfDrawer({
  row,
  traffic,
  onClose,
}: {
  row: VfRow;
  traffic: TrafficHistory;
  onClose: () => void;
}) {
  const { vf, pf, attachment: a } = row;
  const c = vf.config;
  const rate = pf.netdev ? traffic.vf(pf.netdev, vf.vfIndex) : undefined;
  return (
    <DrawerPanelContent
      widths={{ default: 'width_33' }}
      data-testid="vf-drawer"
      data-vf-key={row.key}
    >
      <DrawerHead>
        <Title headingLevel="h2" size="lg">
          {row.pfName} VF {vf.vfIndex}
        </Title>
        <DrawerActions>
          <DrawerCloseButton
            onClick={onClose}
            data-testid="vf-drawer-close"
            aria-label="Close VF details"
          />
        </DrawerActions>
      </DrawerHead>
      <DrawerPanelBody>
        <Title headingLevel="h3" size="md">
          Throughput
        </Title>
        {pf.netdev ? (
          <>
            <Sparkline
              samples={traffic.vfHistory(pf.netdev, vf.vfIndex)}
              label={`${row.pfName} VF ${vf.vfIndex} throughput`}
              width={320}
              height={64}
              testId="vf-drawer-chart"
            />
            <div className="sriov-muted" data-testid="vf-drawer-rates">
              {rate
                ? `rx ${Math.round(rate.rxPacketsPerS)} pkt/s, tx ${Math.round(rate.txPacketsPerS)} pkt/s, drops rx ${Math.round(rate.rxDroppedPerS)}/s tx ${Math.round(rate.txDroppedPerS)}/s`
                : 'no counters for this VF in the latest sample'}
            </div>
          </>
        ) : (
          <span className="sriov-muted">The PF has no netdev: no counters.</span>
        )}
      </DrawerPanelBody>
      <DrawerPanelBody>
        <DescriptionList isCompact isHorizontal>
          <Item term="PCI" testId="vf-drawer-pci">
            {vf.pciAddress ?? '—'}
          </Item>
          <Item term="Driver" testId="vf-drawer-driver">
            {vf.driver ?? 'unbound'}
            {vf.driverOverride ? ` (override ${vf.driverOverride})` : ''}
          </Item>
          <Item term="Netdev">{vf.netdev ?? '—'}</Item>
          <Item term="NUMA node">{vf.numaNode}</Item>
          <Item term="IOMMU group">{vf.iommuGroup ?? '—'}</Item>
          {c ? (
            <>
              <Item term="MAC" testId="vf-drawer-mac">
                {c.mac}
              </Item>
              <Item term="VLAN" testId="vf-drawer-vlan">
                {formatVlan(c.vlan, c.qos)} {c.vlan ? `(${c.vlanProto})` : ''}
              </Item>
              <Item term="Min / max rate">
                {formatMbps(c.minTxRate, '0')} / {formatMbps(c.maxTxRate, 'no cap')}
              </Item>
              <Item term="Trust">
                <OnOff value={c.trust} />
              </Item>
              <Item term="Spoofchk">
                <OnOff value={c.spoofchk} />
              </Item>
              <Item term="Link state">{c.linkState}</Item>
              {c.counters && (
                <Item term="Counters">
                  rx {c.counters.rxPackets} pkts / {c.counters.rxDropped} dropped · tx{' '}
                  {c.counters.txPackets} pkts / {c.counters.txDropped} dropped
                </Item>
              )}
            </>
          ) : (
            <Item term="Settings">unknown: the kernel truncated this PF&apos;s VF list</Item>
          )}
          <Item term="Rates now">
            rx {formatBitRate(rate?.rxBytesPerS)} · tx {formatBitRate(rate?.txBytesPerS)}
          </Item>
        </DescriptionList>
      </DrawerPanelBody>
      <DrawerPanelBody>
        <Title headingLevel="h3" size="md">
          Consumer
        </Title>
        {a ? (
          <DescriptionList isCompact isHorizontal data-testid="vf-drawer-attachment">
            <Item term="Tenant" testId="vf-drawer-tenant">
              {a.tenant}
            </Item>
            <Item term="Pool">{a.pool}</Item>
            <Item term="Consumer">
              {a.consumer.kind} {a.consumer.name} on {a.consumer.host}
            </Item>
            <Item term="Interface">{a.interface}</Item>
            <Item term="State">
              <StateLabel state={a.state} />
            </Item>
            {a.detail && <Item term="Detail">{a.detail}</Item>}
            <Item term="Attachment" testId="vf-drawer-attachment-id">
              <span className="sriov-mono">{a.id}</span>
            </Item>
            <Item term="Requested by">
              {a.requestedBy} · {formatTime(a.createdAt)}
            </Item>
          </DescriptionList>
        ) : (
          <span className="sriov-muted" data-testid="vf-drawer-free">
            Not attached: free for its pool, if a pool covers it.
          </span>
        )}
      </DrawerPanelBody>
      <DrawerPanelBody>
        <Title headingLevel="h3" size="md">
          History
        </Title>
        <History row={row} />
      </DrawerPanelBody>
    </DrawerPanelContent>
  );
}
