/** Capacity per PF and per NUMA node: VFs and guaranteed bandwidth against their caps. */
import { Card, CardBody, CardTitle } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { Capacity } from '../../../contract/index.js';
import { Sparkline } from '../../components/Sparkline.js';
import { Empty, ErrorState, Loading } from '../../components/states.js';
import { formatMbps } from '../../lib/format.js';
import type { TrafficHistory } from '../../lib/traffic.js';
import { href } from '../../state/router.js';
import type { Resource } from '../../state/useApi.js';
import { BwUsage, VfUsage } from './Usage.js';

type PfCapacity = Capacity['pfs'][number];

/** One PF: its names, NUMA node, link, VF and bandwidth use, and a throughput sparkline. */
function PfCapacityRow({ p, traffic }: { p: PfCapacity; traffic: TrafficHistory }) {
  const name = p.netdev ?? p.pf;
  return (
    <Tr data-testid={`capacity-pf-${name}`}>
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
      <Td dataLabel="VFs">
        <VfUsage c={p} testId={`capacity-pf-${name}-vfs`} />
      </Td>
      <Td dataLabel="Guaranteed bandwidth">
        <BwUsage c={p} testId={`capacity-pf-${name}-bw`} />
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
}

/** The capacity-per-PF card. */
export function PfCapacityCard({
  capacity,
  traffic,
}: {
  capacity: Resource<Capacity>;
  traffic: TrafficHistory;
}) {
  const pfs = capacity.data?.pfs ?? [];
  return (
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
              {pfs.map((p) => (
                <PfCapacityRow key={p.pf} p={p} traffic={traffic} />
              ))}
            </Tbody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}

/** The capacity-per-NUMA-node card. */
export function NumaCapacityCard({ capacity }: { capacity: Resource<Capacity> }) {
  return (
    <Card>
      <CardTitle>Capacity per NUMA node</CardTitle>
      <CardBody>
        {capacity.data && capacity.data.numa.length > 0 ? (
          <Table aria-label="Capacity per NUMA node" variant="compact" data-testid="capacity-numa">
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
                  <Td dataLabel="VFs">
                    <VfUsage c={n} testId={`capacity-numa-${n.node}-vfs`} />
                  </Td>
                  <Td dataLabel="Guaranteed bandwidth">
                    <BwUsage c={n} testId={`capacity-numa-${n.node}-bw`} />
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
  );
}
