/** A tenant's overview: its quota use (VFs, guaranteed bandwidth), warnings, and its VFs. */
import { Card, CardBody, CardTitle, Gallery, Stack, StackItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { Attachment, ListOf, Tenant } from '../../../contract/index.js';
import { StateLabel } from '../../components/labels.js';
import { Sparkline } from '../../components/Sparkline.js';
import { Empty, ErrorState, Loading } from '../../components/states.js';
import { formatMbps } from '../../lib/format.js';
import type { TrafficHistory } from '../../lib/traffic.js';
import { useRecentEvents, useRefreshOn, useTraffic } from '../../state/live.js';
import { href } from '../../state/router.js';
import { useApi } from '../../state/useApi.js';
import { OVERVIEW_REFRESH } from './refresh.js';
import { Usage } from './Usage.js';
import { WarningsCard } from './WarningsCard.js';

/** The tenant's VFs held and guaranteed bandwidth against its quota, its pools and VLANs. */
function QuotaCard({
  tenant,
  t,
  mine,
}: {
  tenant: string;
  t: Tenant | undefined;
  mine: Attachment[];
}) {
  const guaranteed = mine.reduce((n, a) => n + a.minTxRate, 0);
  return (
    <Card data-testid="tenant-quota">
      <CardTitle>Tenant {tenant}</CardTitle>
      <CardBody>
        {!t ? (
          <Empty title="Tenant not found" testId="tenant-missing" />
        ) : (
          <Stack hasGutter>
            <StackItem>
              <strong>VFs held</strong>
              {t.maxVfs !== undefined ? (
                <Usage
                  used={mine.length}
                  cap={t.maxVfs}
                  testId="tenant-quota-vfs"
                  title="VFs held"
                  label={`${mine.length} of ${t.maxVfs}`}
                />
              ) : (
                ` ${mine.length} (no limit)`
              )}
            </StackItem>
            <StackItem>
              <strong>Guaranteed bandwidth</strong>
              {t.maxGuaranteedMbps !== undefined ? (
                <Usage
                  used={guaranteed}
                  cap={t.maxGuaranteedMbps}
                  testId="tenant-quota-bw"
                  title="Guaranteed bandwidth"
                  label={`${formatMbps(guaranteed, '0')} of ${formatMbps(t.maxGuaranteedMbps, '0')}`}
                />
              ) : (
                ` ${formatMbps(guaranteed, '0')} (no limit)`
              )}
            </StackItem>
            <StackItem className="sriov-muted">
              Pools: {t.pools.join(', ') || 'none'} · VLANs: {t.vlans || 'none'}
            </StackItem>
          </Stack>
        )}
      </CardBody>
    </Card>
  );
}

/** One of the tenant's VFs: its consumer, PF and index, state and throughput. */
function MyVfRow({ a, traffic }: { a: Attachment; traffic: TrafficHistory }) {
  return (
    <Tr data-testid={`tenant-vf-${a.pfNetdev ?? a.pf}-${a.vfIndex}`}>
      <Td dataLabel="Consumer">
        {a.consumer.kind} {a.consumer.name} · {a.interface}
      </Td>
      <Td dataLabel="VF">
        {a.pfNetdev ?? a.pf} #{a.vfIndex}
      </Td>
      <Td dataLabel="State">
        <StateLabel state={a.state} />
      </Td>
      <Td dataLabel="Throughput">
        {/* Traffic is counted through the PF netdev: a VF without one has none. */}
        {a.pfNetdev === null ? (
          <span className="sriov-muted">no network</span>
        ) : (
          <Sparkline
            samples={traffic.vfHistory(a.pfNetdev, a.vfIndex)}
            label={`${a.pfNetdev} VF ${a.vfIndex}`}
            width={160}
            height={32}
          />
        )}
      </Td>
    </Tr>
  );
}

/** The tenant's VFs, or how to attach one. */
function MyVfsCard({ mine, traffic }: { mine: Attachment[]; traffic: TrafficHistory }) {
  return (
    <Card>
      <CardTitle>My VFs</CardTitle>
      <CardBody>
        {mine.length === 0 ? (
          <Empty title="No VFs attached" testId="tenant-vfs-empty">
            Attach one on the <a href={href('allocations')}>Allocations</a> page.
          </Empty>
        ) : (
          <Table aria-label="My VFs" variant="compact" data-testid="tenant-vfs">
            <Thead>
              <Tr>
                <Th>Consumer</Th>
                <Th>VF</Th>
                <Th>State</Th>
                <Th>Throughput</Th>
              </Tr>
            </Thead>
            <Tbody>
              {mine.map((a) => (
                <MyVfRow key={a.id} a={a} traffic={traffic} />
              ))}
            </Tbody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}

/** The overview a tenant token sees: its own quota use and VFs. */
export function TenantOverview({ tenant }: { tenant: string }) {
  const tenants = useApi<ListOf<Tenant>>('/tenants');
  const attachments = useApi<ListOf<Attachment>>('/attachments');
  useRefreshOn(OVERVIEW_REFRESH, () => {
    tenants.reload();
    attachments.reload();
  });
  const traffic = useTraffic();
  const events = useRecentEvents();
  const t = tenants.data?.items.find((x) => x.name === tenant);
  const mine = attachments.data?.items ?? [];

  if (tenants.error) return <ErrorState error={tenants.error} retry={tenants.reload} />;
  if (attachments.error) return <ErrorState error={attachments.error} retry={attachments.reload} />;
  if (!tenants.data || !attachments.data) return <Loading what="tenant overview" />;
  return (
    <>
      <StackItem>
        <Gallery hasGutter minWidths={{ default: '320px' }}>
          <QuotaCard tenant={tenant} t={t} mine={mine} />
          <WarningsCard doctor={undefined} events={events} />
        </Gallery>
      </StackItem>
      <StackItem>
        <MyVfsCard mine={mine} traffic={traffic} />
      </StackItem>
    </>
  );
}
