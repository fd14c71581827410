/**
 * Overview: host health (doctor's worst result), counts, capacity per PF and NUMA node (VFs and
 * guaranteed bandwidth against the cap), and warnings from doctor and from the daemon's events
 * (drift, health). A tenant token sees its own quota use and VFs instead. The two views live in
 * overview/HostOverview.tsx and overview/TenantOverview.tsx.
 */
import { PageSection, Stack, StackItem, Title } from '@patternfly/react-core';
import { useSeedTraffic } from '../state/live.js';
import { useSession } from '../state/session.js';
import { HostOverview } from './overview/HostOverview.js';
import { TenantOverview } from './overview/TenantOverview.js';

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
