/**
 * Devices: the PFs (grouped by NUMA node) and each PF's VFs with their settings, consumer and
 * live rates; one filter box over all of it; a drawer per VF with its details and history.
 */
import {
  Card,
  CardBody,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Drawer,
  DrawerContent,
  DrawerContentBody,
  Flex,
  FlexItem,
  Grid,
  GridItem,
  Label,
  Nav,
  NavGroup,
  NavItem,
  PageSection,
  Stack,
  StackItem,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { useDeferredValue, useMemo, useState } from 'react';
import type { Attachment, Inventory, ListOf, PfSnapshot } from '../../contract/index.js';
import { Sparkline } from '../components/Sparkline.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { filterRows } from '../lib/filter.js';
import { formatBitRate, formatMbps } from '../lib/format.js';
import type { TrafficHistory } from '../lib/traffic.js';
import { useRefreshOn, useSeedTraffic, useTraffic } from '../state/live.js';
import { href } from '../state/router.js';
import { useApi } from '../state/useApi.js';
import { buildRows, pfName } from './devices/rows.js';
import { VfDrawer } from './devices/VfDrawer.js';
import { VfTable } from './devices/VfTable.js';

const ALL = 'all';

function PfList({ pfs, selected }: { pfs: PfSnapshot[]; selected: string }) {
  const byNuma = new Map<number, PfSnapshot[]>();
  for (const pf of pfs) {
    const list = byNuma.get(pf.numaNode) ?? [];
    list.push(pf);
    byNuma.set(pf.numaNode, list);
  }
  const total = pfs.reduce((n, p) => n + p.vfs.length, 0);
  return (
    <Nav aria-label="Physical functions" className="sriov-pf-list" data-testid="pf-list">
      <NavGroup title="Host">
        <NavItem to={href('devices')} isActive={selected === ALL} data-testid="pf-item-all">
          All PFs ({total} VFs)
        </NavItem>
      </NavGroup>
      {[...byNuma.entries()]
        .sort(([a], [b]) => a - b)
        .map(([node, list]) => (
          <NavGroup key={node} title={`NUMA node ${node}`}>
            {list.map((pf) => {
              const name = pfName(pf);
              // Several children: NavItem clones a single element child into the link itself.
              return (
                <NavItem
                  key={pf.pciAddress}
                  to={href('devices', name)}
                  isActive={selected === name}
                  data-testid={`pf-item-${name}`}
                >
                  <strong>{name}</strong>
                  {pf.linkUp === false && (
                    <Label isCompact color="red" style={{ marginLeft: '0.5rem' }}>
                      down
                    </Label>
                  )}
                  <span className="sriov-muted" style={{ display: 'block' }}>
                    {pf.driver ?? 'no driver'} · {pf.numVfs}/{pf.totalVfs} VFs
                    {pf.speedMbps ? ` · ${formatMbps(pf.speedMbps)}` : ''}
                  </span>
                </NavItem>
              );
            })}
          </NavGroup>
        ))}
    </Nav>
  );
}

function PfHeader({ pf, traffic }: { pf: PfSnapshot; traffic: TrafficHistory }) {
  const name = pfName(pf);
  const rate = pf.netdev ? traffic.pf(pf.netdev) : undefined;
  const item = (term: string, value: React.ReactNode, testId?: string) => (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription data-testid={testId}>{value}</DescriptionListDescription>
    </DescriptionListGroup>
  );
  return (
    <Card data-testid={`pf-detail-${name}`}>
      <CardBody>
        <Flex
          justifyContent={{ default: 'justifyContentSpaceBetween' }}
          flexWrap={{ default: 'wrap' }}
        >
          <FlexItem>
            <Title headingLevel="h2" size="lg">
              {name}{' '}
              {pf.carriesDefaultRoute && (
                <Label color="orange" isCompact>
                  carries the default route
                </Label>
              )}
            </Title>
            <DescriptionList isCompact isHorizontal columnModifier={{ default: '2Col' }}>
              {item('PCI', <span className="sriov-mono">{pf.pciAddress}</span>)}
              {item('Device', `${pf.vendorName} ${pf.deviceName}`)}
              {item(
                'Driver',
                `${pf.driver ?? 'none'}${pf.driverVersion ? ` ${pf.driverVersion}` : ''}`,
              )}
              {item('Firmware', pf.firmware.version ?? '—')}
              {item('NUMA node', pf.numaNode)}
              {item(
                'Link',
                `${pf.linkUp === false ? 'down' : pf.linkUp ? 'up' : 'unknown'}${pf.speedMbps ? `, ${formatMbps(pf.speedMbps)}` : ''}${pf.mtu ? `, MTU ${pf.mtu}` : ''}`,
                'pf-link',
              )}
              {item('VFs', `${pf.numVfs} configured of ${pf.totalVfs}`, 'pf-numvfs')}
              {item('eSwitch', pf.eswitchMode ?? '—')}
            </DescriptionList>
            {(pf.vfListTruncated || pf.unreadableVfs.length > 0) && (
              <p className="sriov-muted" data-testid="pf-truncated">
                The kernel&apos;s VF list for this PF is truncated: {pf.unreadableVfs.length} VFs
                show no settings and no counters{rate ? ` (${rate.vfsCounted} counted)` : ''}.
              </p>
            )}
          </FlexItem>
          <FlexItem>
            {pf.netdev ? (
              <Sparkline
                samples={traffic.pfHistory(pf.netdev)}
                label={`${name} throughput`}
                width={280}
                height={64}
                testId="pf-chart"
              />
            ) : (
              <span className="sriov-muted">no netdev: no counters</span>
            )}
            {rate && (
              <div className="sriov-muted">
                now rx {formatBitRate(rate.rxBytesPerS)}, tx {formatBitRate(rate.txBytesPerS)}
              </div>
            )}
          </FlexItem>
        </Flex>
      </CardBody>
    </Card>
  );
}

export function DevicesPage({ pf }: { pf: string | null }) {
  const inv = useApi<Inventory>('/inventory');
  const atts = useApi<ListOf<Attachment>>('/attachments');
  useSeedTraffic();
  const traffic = useTraffic();
  useRefreshOn(['attachment', 'drift', 'apply.done', 'inventory', 'reconcile'], () => {
    inv.reload();
    atts.reload();
  });
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const [selectedVf, setSelectedVf] = useState<string | null>(null);

  const rows = useMemo(
    () => (inv.data ? buildRows(inv.data, atts.data?.items ?? []) : []),
    [inv.data, atts.data],
  );
  const selected = pf ?? ALL;
  const pfRows = useMemo(
    () =>
      selected === ALL
        ? rows
        : rows.filter((r) => r.pfName === selected || r.pf.pciAddress === selected),
    [rows, selected],
  );
  const shown = useMemo(() => filterRows(pfRows, (r) => r.hay, deferred), [pfRows, deferred]);
  const drawerRow = selectedVf ? rows.find((r) => r.key === selectedVf) : undefined;
  const pfSnap = inv.data?.pfs.find((p) => pfName(p) === selected || p.pciAddress === selected);

  let body: React.ReactNode;
  if (inv.error) body = <ErrorState error={inv.error} retry={inv.reload} testId="devices-error" />;
  else if (!inv.data) body = <Loading what="inventory" testId="devices-loading" />;
  else if (inv.data.pfs.length === 0)
    body = (
      <Empty title="No SR-IOV devices" testId="devices-empty">
        Discovery found no SR-IOV capable PF on {inv.data.host.hostname}; the Doctor page says why.
      </Empty>
    );
  else
    body = (
      <Grid hasGutter>
        <GridItem md={3} lg={2}>
          <PfList pfs={inv.data.pfs} selected={pfSnap ? pfName(pfSnap) : ALL} />
        </GridItem>
        <GridItem md={9} lg={10}>
          <Drawer isExpanded={drawerRow !== undefined} position="end">
            <DrawerContent
              panelContent={
                drawerRow ? (
                  <VfDrawer row={drawerRow} traffic={traffic} onClose={() => setSelectedVf(null)} />
                ) : undefined
              }
            >
              <DrawerContentBody>
                <Stack hasGutter>
                  {selected !== ALL && !pfSnap && (
                    <StackItem>
                      <Empty title={`No PF named ${selected}`} testId="pf-missing" />
                    </StackItem>
                  )}
                  {pfSnap && (
                    <StackItem>
                      <PfHeader pf={pfSnap} traffic={traffic} />
                    </StackItem>
                  )}
                  <StackItem>
                    <Flex alignItems={{ default: 'alignItemsCenter' }}>
                      <FlexItem grow={{ default: 'grow' }}>
                        <TextInput
                          type="search"
                          value={query}
                          onChange={(_e, v) => setQuery(v)}
                          placeholder="Filter VFs: ens1f0 · ens1f0#5 · vlan:100 · tenant:team-a · free · driver:vfio-pci …"
                          aria-label="Filter VFs"
                          data-testid="vf-filter"
                        />
                      </FlexItem>
                      <FlexItem>
                        <span
                          data-testid="vf-count"
                          data-shown={shown.length}
                          data-total={pfRows.length}
                        >
                          {shown.length === pfRows.length
                            ? `${pfRows.length} VFs`
                            : `${shown.length} of ${pfRows.length} VFs`}
                        </span>
                      </FlexItem>
                    </Flex>
                  </StackItem>
                  <StackItem>
                    {atts.error && (
                      <ErrorState
                        error={atts.error}
                        retry={atts.reload}
                        testId="devices-attachments-error"
                      />
                    )}
                    {pfRows.length === 0 && (selected === ALL || pfSnap) ? (
                      <Empty title="No VFs configured" testId="vfs-empty">
                        {pfSnap
                          ? `${pfName(pfSnap)} has numVfs 0; a policy on the Policies page can create VFs.`
                          : 'No PF has VFs; a policy can create them.'}
                      </Empty>
                    ) : shown.length === 0 && pfRows.length > 0 ? (
                      <Empty title="No VF matches the filter" testId="vfs-no-match">
                        Every term must match; clear the filter to see all {pfRows.length} VFs.
                      </Empty>
                    ) : (
                      pfRows.length > 0 && (
                        <VfTable
                          rows={shown}
                          showPf={selected === ALL}
                          traffic={traffic}
                          selected={selectedVf}
                          onSelect={setSelectedVf}
                        />
                      )
                    )}
                  </StackItem>
                </Stack>
              </DrawerContentBody>
            </DrawerContent>
          </Drawer>
        </GridItem>
      </Grid>
    );

  return (
    <PageSection data-testid="page-devices">
      <Stack hasGutter>
        <StackItem>
          <Title headingLevel="h1">Devices</Title>
        </StackItem>
        <StackItem>{body}</StackItem>
      </Stack>
    </PageSection>
  );
}
