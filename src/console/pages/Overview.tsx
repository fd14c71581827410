/**
 * Overview: host health (doctor's worst result), counts, capacity per PF and NUMA node (VFs and
 * guaranteed bandwidth against the cap), and warnings from doctor and from the daemon's events
 * (drift, health). A tenant token sees its own quota use and VFs instead.
 */
import {
  Card,
  CardBody,
  CardTitle,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Gallery,
  Grid,
  GridItem,
  List,
  ListItem,
  PageSection,
  Progress,
  ProgressMeasureLocation,
  ProgressSize,
  ProgressVariant,
  Stack,
  StackItem,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type {
  Attachment,
  Capacity,
  CapacityCounts,
  DaemonEvent,
  DoctorReport,
  ListOf,
  Tenant,
} from '../../contract/index.js';
import { CheckLabel, StateLabel } from '../components/labels.js';
import { Sparkline } from '../components/Sparkline.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { formatBitRate, formatMbps, formatTime, percent } from '../lib/format.js';
import { useRecentEvents, useRefreshOn, useSeedTraffic, useTraffic } from '../state/live.js';
import { href } from '../state/router.js';
import { useSession } from '../state/session.js';
import { useApi } from '../state/useApi.js';

const REFRESH = [
  'attachment',
  'tenant',
  'pool',
  'drift',
  'health',
  'apply',
  'inventory',
  'reconcile',
];

export function OverviewPage() {
  const { me } = useSession();
  useSeedTraffic();
  return (
    <PageSection data-testid="page-overview">
      <Stack hasGutter>
        <StackItem>
          <Title headingLevel="h1">Overview</Title>
        </StackItem>
        {me.tenant === null ? <HostOverview /> : <TenantOverview tenant={me.tenant} />}
      </Stack>
    </PageSection>
  );
}

function usage(
  used: number,
  cap: number,
  testId: string,
  title: string,
  label: string,
  detail?: string,
) {
  const pct = percent(used, cap);
  const variant =
    cap > 0 && used > cap
      ? ProgressVariant.danger
      : pct >= 90
        ? ProgressVariant.warning
        : undefined;
  return (
    <>
      <Progress
        value={pct}
        label={label}
        measureLocation={ProgressMeasureLocation.outside}
        size={ProgressSize.sm}
        data-testid={testId}
        data-used={used}
        data-cap={cap}
        aria-label={`${title}: ${label}${detail ? `, ${detail}` : ''}`}
        {...(variant ? { variant } : {})}
      />
      {detail && <div className="sriov-muted">{detail}</div>}
    </>
  );
}

function vfUsage(c: CapacityCounts, testId: string) {
  return usage(
    c.allocatedVfs,
    c.numVfs,
    testId,
    'VFs allocated of configured',
    `${c.allocatedVfs} / ${c.numVfs}`,
    `${c.totalVfs} possible · ${c.pooledVfs} in pools · ${c.freeVfs} free (not attached)`,
  );
}

function bwUsage(c: CapacityCounts, testId: string) {
  return usage(
    c.guaranteedMbps,
    // No known link speed (null) caps nothing, like 0.
    c.guaranteeCapMbps ?? 0,
    testId,
    'Guaranteed bandwidth',
    `${formatMbps(c.guaranteedMbps, '0')} / ${formatMbps(c.guaranteeCapMbps, '0')}`,
  );
}

function Count({
  label,
  value,
  testId,
}: {
  label: string;
  value: number | string;
  testId: string;
}) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{label}</DescriptionListTerm>
      <DescriptionListDescription data-testid={testId}>{value}</DescriptionListDescription>
    </DescriptionListGroup>
  );
}

function HostOverview() {
  const { me } = useSession();
  const doctor = useApi<DoctorReport>('/doctor');
  const capacity = useApi<Capacity>('/capacity');
  const attachments = useApi<ListOf<Attachment>>('/attachments');
  const tenants = useApi<ListOf<Tenant>>('/tenants');
  useRefreshOn(REFRESH, () => {
    doctor.reload();
    capacity.reload();
    attachments.reload();
    tenants.reload();
  });
  const traffic = useTraffic();
  const events = useRecentEvents();

  const pfs = capacity.data?.pfs ?? [];
  const sum = (k: Exclude<keyof CapacityCounts, 'guaranteeCapMbps'>) =>
    pfs.reduce((n, p) => n + p[k], 0);
  const hostRx = pfs.reduce(
    (n, p) => n + (p.netdev ? (traffic.pf(p.netdev)?.rxBytesPerS ?? 0) : 0),
    0,
  );
  const hostTx = pfs.reduce(
    (n, p) => n + (p.netdev ? (traffic.pf(p.netdev)?.txBytesPerS ?? 0) : 0),
    0,
  );

  return (
    <>
      <StackItem>
        <Grid hasGutter>
          <GridItem md={6} xl={3}>
            <Card data-testid="overview-health-card" isFullHeight>
              <CardTitle>Host health</CardTitle>
              <CardBody>
                {doctor.error ? (
                  <ErrorState
                    error={doctor.error}
                    retry={doctor.reload}
                    testId="overview-health-error"
                  />
                ) : !doctor.data ? (
                  <Loading what="health" />
                ) : (
                  <Stack hasGutter>
                    <StackItem>
                      <strong>{me.host}</strong>{' '}
                      <CheckLabel status={doctor.data.worst} testId="overview-health" />
                    </StackItem>
                    <StackItem>
                      {(['fail', 'warn', 'info', 'pass'] as const)
                        .map(
                          (s) =>
                            `${doctor.data!.results.filter((r) => r.status === s).length} ${s}`,
                        )
                        .join(' · ')}{' '}
                      (<a href={href('doctor')}>doctor</a>)
                    </StackItem>
                  </Stack>
                )}
              </CardBody>
            </Card>
          </GridItem>
          <GridItem md={6} xl={3}>
            <Card data-testid="overview-counts" isFullHeight>
              <CardTitle>Counts</CardTitle>
              <CardBody>
                {capacity.error ? (
                  <ErrorState
                    error={capacity.error}
                    retry={capacity.reload}
                    testId="overview-counts-error"
                  />
                ) : !capacity.data ? (
                  <Loading what="counts" />
                ) : (
                  <DescriptionList isHorizontal isCompact>
                    <Count label="PFs" value={pfs.length} testId="count-pfs" />
                    <Count
                      label="VFs configured"
                      value={`${sum('numVfs')} of ${sum('totalVfs')}`}
                      testId="count-vfs"
                    />
                    <Count
                      label="VFs allocated"
                      value={sum('allocatedVfs')}
                      testId="count-allocated"
                    />
                    <Count label="VFs free" value={sum('freeVfs')} testId="count-free" />
                    <Count
                      label="Tenants"
                      value={tenants.data?.items.length ?? '…'}
                      testId="count-tenants"
                    />
                    <Count
                      label="Attachments"
                      value={attachments.data?.items.length ?? '…'}
                      testId="count-attachments"
                    />
                    <Count
                      label="Throughput"
                      value={`rx ${formatBitRate(hostRx)} · tx ${formatBitRate(hostTx)}`}
                      testId="count-throughput"
                    />
                  </DescriptionList>
                )}
              </CardBody>
            </Card>
          </GridItem>
          <GridItem xl={6}>
            <WarningsCard doctor={doctor.data} events={events} />
          </GridItem>
        </Grid>
      </StackItem>
      <StackItem>
        <Card>
          <CardTitle>Capacity per PF</CardTitle>
          <CardBody>
            {capacity.error ? (
              <ErrorState error={capacity.error} retry={capacity.reload} testId="capacity-error" />
            ) : !capacity.data ? (
              <Loading what="capacity" />
            ) : pfs.length === 0 ? (
              <Empty title="No SR-IOV PFs on this host" testId="capacity-empty">
                Discovery found no SR-IOV capable network device; the doctor page says why.
              </Empty>
            ) : (
              <Table aria-label="Capacity per PF" variant="compact" data-testid="capacity-pfs">
                <Thead>
                  <Tr>
                    <Th>PF</Th>
                    <Th>NUMA</Th>
                    <Th>Link</Th>
                    <Th width={30}>VFs allocated / configured</Th>
                    <Th width={25}>Guaranteed bandwidth</Th>
                    <Th>Throughput</Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {pfs.map((p) => {
                    const name = p.netdev ?? p.pf;
                    return (
                      <Tr key={p.pf} data-testid={`capacity-pf-${name}`}>
                        <Td dataLabel="PF">
                          <a href={href('devices', name)}>{name}</a>
                          <div className="sriov-muted">
                            {p.pf} · {p.driver ?? 'no driver'} · {p.deviceName}
                          </div>
                        </Td>
                        <Td dataLabel="NUMA">{p.numaNode}</Td>
                        <Td dataLabel="Link">
                          {p.linkUp === false ? 'down' : p.linkUp ? 'up' : '?'}
                          {p.speedMbps ? ` · ${formatMbps(p.speedMbps)}` : ''}
                        </Td>
                        <Td dataLabel="VFs">{vfUsage(p, `capacity-pf-${name}-vfs`)}</Td>
                        <Td dataLabel="Guaranteed bandwidth">
                          {bwUsage(p, `capacity-pf-${name}-bw`)}
                        </Td>
                        <Td dataLabel="Throughput">
                          {p.netdev ? (
                            <Sparkline
                              samples={traffic.pfHistory(p.netdev)}
                              label={`${name} throughput`}
                              width={160}
                              height={32}
                              testId={`capacity-pf-${name}-chart`}
                            />
                          ) : (
                            '—'
                          )}
                        </Td>
                      </Tr>
                    );
                  })}
                </Tbody>
              </Table>
            )}
          </CardBody>
        </Card>
      </StackItem>
      <StackItem>
        <Card>
          <CardTitle>Capacity per NUMA node</CardTitle>
          <CardBody>
            {capacity.data && capacity.data.numa.length > 0 ? (
              <Table
                aria-label="Capacity per NUMA node"
                variant="compact"
                data-testid="capacity-numa"
              >
                <Thead>
                  <Tr>
                    <Th>NUMA node</Th>
                    <Th width={40}>VFs allocated / configured</Th>
                    <Th width={40}>Guaranteed bandwidth</Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {capacity.data.numa.map((n) => (
                    <Tr key={n.node} data-testid={`capacity-numa-${n.node}`}>
                      <Td dataLabel="NUMA node">{n.node}</Td>
                      <Td dataLabel="VFs">{vfUsage(n, `capacity-numa-${n.node}-vfs`)}</Td>
                      <Td dataLabel="Guaranteed bandwidth">
                        {bwUsage(n, `capacity-numa-${n.node}-bw`)}
                      </Td>
                    </Tr>
                  ))}
                </Tbody>
              </Table>
            ) : capacity.data ? (
              <Empty title="No NUMA nodes with SR-IOV devices" testId="capacity-numa-empty" />
            ) : capacity.error ? null : (
              <Loading what="NUMA capacity" />
            )}
          </CardBody>
        </Card>
      </StackItem>
    </>
  );
}

/** Doctor's warn/fail results and the daemon's warn/error events, newest first. */
function WarningsCard({
  doctor,
  events,
}: {
  doctor: DoctorReport | undefined;
  events: DaemonEvent[];
}) {
  const checks = (doctor?.results ?? []).filter((r) => r.status === 'warn' || r.status === 'fail');
  const recent = events
    .filter((e) => e.level !== 'info')
    .slice(-20)
    .reverse();
  return (
    <Card data-testid="overview-warnings" isFullHeight>
      <CardTitle>Warnings</CardTitle>
      <CardBody className="sriov-warnings">
        {checks.length === 0 && recent.length === 0 ? (
          <Empty title="No warnings" testId="overview-warnings-empty">
            Doctor found nothing wrong and the daemon reported no drift or failures.
          </Empty>
        ) : (
          <List isPlain>
            {checks.map((c) => (
              <ListItem key={`${c.id}@${c.scope}`} data-testid="warning-item" data-source="doctor">
                <CheckLabel status={c.status} /> {c.title}{' '}
                <span className="sriov-muted">({c.scope})</span>
              </ListItem>
            ))}
            {recent.map((e) => (
              <ListItem
                key={e.id}
                data-testid="warning-item"
                data-source="event"
                data-kind={e.kind}
              >
                <CheckLabel status={e.level === 'error' ? 'fail' : 'warn'} /> {e.message}{' '}
                <span className="sriov-muted">
                  ({e.kind}, {formatTime(e.at)})
                </span>
              </ListItem>
            ))}
          </List>
        )}
      </CardBody>
    </Card>
  );
}

function TenantOverview({ tenant }: { tenant: string }) {
  const tenants = useApi<ListOf<Tenant>>('/tenants');
  const attachments = useApi<ListOf<Attachment>>('/attachments');
  useRefreshOn(REFRESH, () => {
    tenants.reload();
    attachments.reload();
  });
  const traffic = useTraffic();
  const events = useRecentEvents();
  const t = tenants.data?.items.find((x) => x.name === tenant);
  const mine = attachments.data?.items ?? [];
  const guaranteed = mine.reduce((n, a) => n + a.minTxRate, 0);

  if (tenants.error) return <ErrorState error={tenants.error} retry={tenants.reload} />;
  if (attachments.error) return <ErrorState error={attachments.error} retry={attachments.reload} />;
  if (!tenants.data || !attachments.data) return <Loading what="tenant overview" />;
  return (
    <>
      <StackItem>
        <Gallery hasGutter minWidths={{ default: '320px' }}>
          <Card data-testid="tenant-quota">
            <CardTitle>Tenant {tenant}</CardTitle>
            <CardBody>
              {!t ? (
                <Empty title="Tenant not found" testId="tenant-missing" />
              ) : (
                <Stack hasGutter>
                  <StackItem>
                    <strong>VFs held</strong>
                    {t.maxVfs !== undefined
                      ? usage(
                          mine.length,
                          t.maxVfs,
                          'tenant-quota-vfs',
                          'VFs held',
                          `${mine.length} of ${t.maxVfs}`,
                        )
                      : ` ${mine.length} (no limit)`}
                  </StackItem>
                  <StackItem>
                    <strong>Guaranteed bandwidth</strong>
                    {t.maxGuaranteedMbps !== undefined
                      ? usage(
                          guaranteed,
                          t.maxGuaranteedMbps,
                          'tenant-quota-bw',
                          'Guaranteed bandwidth',
                          `${formatMbps(guaranteed, '0')} of ${formatMbps(t.maxGuaranteedMbps, '0')}`,
                        )
                      : ` ${formatMbps(guaranteed, '0')} (no limit)`}
                  </StackItem>
                  <StackItem className="sriov-muted">
                    Pools: {t.pools.join(', ') || 'none'} · VLANs: {t.vlans || 'none'}
                  </StackItem>
                </Stack>
              )}
            </CardBody>
          </Card>
          <WarningsCard doctor={undefined} events={events} />
        </Gallery>
      </StackItem>
      <StackItem>
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
                    <Tr key={a.id} data-testid={`tenant-vf-${a.pfNetdev ?? a.pf}-${a.vfIndex}`}>
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
                  ))}
                </Tbody>
              </Table>
            )}
          </CardBody>
        </Card>
      </StackItem>
    </>
  );
}
