/**
 * The operator's overview: host health, counts, warnings, and capacity per PF and per NUMA node,
 * reloaded when the daemon reports a change they show.
 */
import {
  Card,
  CardBody,
  CardTitle,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Grid,
  GridItem,
  Stack,
  StackItem,
} from '@patternfly/react-core';
import type {
  Attachment,
  Capacity,
  CapacityCounts,
  DoctorReport,
  ListOf,
  Tenant,
} from '../../../contract/index.js';
import { CheckLabel } from '../../components/labels.js';
import { ErrorState, Loading } from '../../components/states.js';
import { formatBitRate } from '../../lib/format.js';
import type { TrafficHistory } from '../../lib/traffic.js';
import { useRecentEvents, useRefreshOn, useTraffic } from '../../state/live.js';
import { href } from '../../state/router.js';
import { useSession } from '../../state/session.js';
import { useApi, type Resource } from '../../state/useApi.js';
import { NumaCapacityCard, PfCapacityCard } from './CapacityTables.js';
import { OVERVIEW_REFRESH } from './refresh.js';
import { WarningsCard } from './WarningsCard.js';

/** What the host overview loads, reloaded together on the daemon's events. */
function useHostOverviewData() {
  const doctor = useApi<DoctorReport>('/doctor');
  const capacity = useApi<Capacity>('/capacity');
  const attachments = useApi<ListOf<Attachment>>('/attachments');
  const tenants = useApi<ListOf<Tenant>>('/tenants');
  useRefreshOn(OVERVIEW_REFRESH, () => {
    doctor.reload();
    capacity.reload();
    attachments.reload();
    tenants.reload();
  });
  return { doctor, capacity, attachments, tenants };
}

/** The host's name, doctor's worst result and how many checks ended at each status. */
function HealthCard({ doctor }: { doctor: Resource<DoctorReport> }) {
  const { me } = useSession();
  return (
    <Card data-testid="overview-health-card" isFullHeight>
      <CardTitle>Host health</CardTitle>
      <CardBody>
        {doctor.error ? (
          <ErrorState error={doctor.error} retry={doctor.reload} testId="overview-health-error" />
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
                .map((s) => `${doctor.data!.results.filter((r) => r.status === s).length} ${s}`)
                .join(' · ')}{' '}
              (<a href={href('doctor')}>doctor</a>)
            </StackItem>
          </Stack>
        )}
      </CardBody>
    </Card>
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

/** PFs, VFs, tenants, attachments and the host's throughput (the sum over its PFs). */
function CountsCard({
  data,
  traffic,
}: {
  data: ReturnType<typeof useHostOverviewData>;
  traffic: TrafficHistory;
}) {
  const { capacity, tenants, attachments } = data;
  const pfs = capacity.data?.pfs ?? [];
  const sum = (k: Exclude<keyof CapacityCounts, 'guaranteeCapMbps'>) =>
    pfs.reduce((n, p) => n + p[k], 0);
  const rate = (k: 'rxBytesPerS' | 'txBytesPerS') =>
    pfs.reduce((n, p) => n + (p.netdev ? (traffic.pf(p.netdev)?.[k] ?? 0) : 0), 0);
  return (
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
            <Count label="VFs allocated" value={sum('allocatedVfs')} testId="count-allocated" />
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
              value={`rx ${formatBitRate(rate('rxBytesPerS'))} · tx ${formatBitRate(rate('txBytesPerS'))}`}
              testId="count-throughput"
            />
          </DescriptionList>
        )}
      </CardBody>
    </Card>
  );
}

/** The operator's overview of the host. */
export function HostOverview() {
  const data = useHostOverviewData();
  const traffic = useTraffic();
  const events = useRecentEvents();
  return (
    <>
      <StackItem>
        <Grid hasGutter>
          <GridItem md={6} xl={3}>
            <HealthCard doctor={data.doctor} />
          </GridItem>
          <GridItem md={6} xl={3}>
            <CountsCard data={data} traffic={traffic} />
          </GridItem>
          <GridItem xl={6}>
            <WarningsCard doctor={data.doctor.data} events={events} />
          </GridItem>
        </Grid>
      </StackItem>
      <StackItem>
        <PfCapacityCard capacity={data.capacity} traffic={traffic} />
      </StackItem>
      <StackItem>
        <NumaCapacityCard capacity={data.capacity} />
      </StackItem>
    </>
  );
}
