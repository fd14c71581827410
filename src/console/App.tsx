/** The console's shell: login gate, masthead, navigation and the page for the current route. */
import {
  Button,
  Flex,
  FlexItem,
  Label,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
} from '@patternfly/react-core';
import { useEffect, type ReactNode } from 'react';
import type { WhoAmI } from '../contract/index.js';
import { Empty, Loading } from './components/states.js';
import { AllocationsPage } from './pages/Allocations.js';
import { AuditPage } from './pages/Audit.js';
import { DevicesPage } from './pages/Devices.js';
import { DoctorPage } from './pages/Doctor.js';
import { LoginPage } from './pages/Login.js';
import { OverviewPage } from './pages/Overview.js';
import { PoliciesPage } from './pages/Policies.js';
import { TokensPage } from './pages/Tokens.js';
import { LiveProvider, useLiveStatus } from './state/live.js';
import { href, useRoute } from './state/router.js';
import { SessionProvider, seesHost, useSession, useSessionState } from './state/session.js';

interface PageDef {
  id: string;
  title: string;
  /** Who sees the page: the API would answer 403 to the others. */
  visible: (me: WhoAmI) => boolean;
  render: (rest: string[]) => ReactNode;
}

const PAGES: PageDef[] = [
  { id: 'overview', title: 'Overview', visible: () => true, render: () => <OverviewPage /> },
  {
    id: 'devices',
    title: 'Devices',
    visible: seesHost,
    render: (rest) => <DevicesPage pf={rest[0] ?? null} />,
  },
  {
    id: 'allocations',
    title: 'Allocations',
    visible: () => true,
    render: (rest) => <AllocationsPage tab={rest[0] ?? null} />,
  },
  {
    id: 'policies',
    title: 'Policies',
    visible: (me) => seesHost(me) && me.role === 'admin',
    render: () => <PoliciesPage />,
  },
  { id: 'doctor', title: 'Doctor', visible: seesHost, render: () => <DoctorPage /> },
  { id: 'audit', title: 'Audit', visible: () => true, render: () => <AuditPage /> },
  {
    id: 'tokens',
    title: 'Tokens',
    visible: (me) => seesHost(me) && me.role === 'admin',
    render: () => <TokensPage />,
  },
];

function LiveIndicator() {
  const { status, detail } = useLiveStatus();
  const color = status === 'open' ? 'green' : status === 'closed' ? 'grey' : 'orange';
  const text =
    status === 'open'
      ? 'Live'
      : status === 'closed'
        ? 'Offline'
        : status === 'connecting'
          ? 'Connecting'
          : 'Reconnecting';
  return (
    <Label
      color={color}
      isCompact
      data-testid="live-status"
      data-status={status}
      title={detail || undefined}
    >
      {text}
    </Label>
  );
}

function Shell() {
  const { me, logout } = useSession();
  const route = useRoute();
  const pages = PAGES.filter((p) => p.visible(me));
  const id = route[0] ?? 'overview';
  const page = PAGES.find((p) => p.id === id);
  const allowed = page && page.visible(me);

  useEffect(() => {
    document.title = `${page?.title ?? 'sriovctl'} · ${me.host} · sriovctl`;
  }, [page, me.host]);

  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <MastheadLogo href={href('overview')} aria-label="sriovctl console home">
            <strong
              style={{ fontSize: '1.25rem', color: 'var(--pf-t--global--text--color--regular)' }}
            >
              sriovctl
            </strong>
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Flex alignItems={{ default: 'alignItemsCenter' }} style={{ width: '100%' }}>
          <FlexItem>
            <span data-testid="host-name" title="Host">
              {me.host}
            </span>
          </FlexItem>
          {me.simulated ? (
            <FlexItem>
              <Label
                color="purple"
                isCompact
                data-testid="simulated-host"
                title={`sriovctl's simulated kernel${me.fixture ? ` (fixture ${me.fixture})` : ''}: no real hardware`}
              >
                Simulated{me.fixture ? ` · ${me.fixture}` : ''}
              </Label>
            </FlexItem>
          ) : null}
          <FlexItem>
            <LiveIndicator />
          </FlexItem>
          <FlexItem align={{ default: 'alignRight' }}>
            <span data-testid="whoami" data-role={me.role} data-tenant={me.tenant ?? ''}>
              {me.name} · {me.role}
              {me.tenant ? ` · tenant ${me.tenant}` : ''}
            </span>
          </FlexItem>
          <FlexItem>
            <Button variant="secondary" size="sm" onClick={() => logout()} data-testid="logout">
              Log out
            </Button>
          </FlexItem>
        </Flex>
      </MastheadContent>
    </Masthead>
  );

  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Console pages">
          <NavList>
            {pages.map((p) => (
              <NavItem
                key={p.id}
                itemId={p.id}
                isActive={p.id === id}
                to={href(p.id)}
                data-testid={`nav-${p.id}`}
              >
                {p.title}
              </NavItem>
            ))}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );

  return (
    <Page masthead={masthead} sidebar={sidebar} isManagedSidebar>
      {allowed ? (
        page.render(route.slice(1))
      ) : (
        <Empty
          title={page ? 'Not available for this token' : 'No such page'}
          testId="page-unavailable"
        >
          {page
            ? `${page.title} is host-wide; ${me.tenant ? `this token is confined to tenant ${me.tenant}` : `it needs another role than ${me.role}`}.`
            : `There is no page "${id}".`}
        </Empty>
      )}
    </Page>
  );
}

function Gate() {
  const { session, restoring, restore } = useSessionState();
  useEffect(() => {
    void restore();
  }, [restore]);
  if (restoring) return <Loading what="session" testId="session-loading" />;
  if (!session) return <LoginPage />;
  return (
    <LiveProvider key={session.token}>
      <Shell />
    </LiveProvider>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}
