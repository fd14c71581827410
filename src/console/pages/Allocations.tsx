/** Allocations: attachments (attach, detach), tenants with their quota use, and pools. */
import {
  Alert,
  AlertActionCloseButton,
  Button,
  Flex,
  FlexItem,
  List,
  ListItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Stack,
  StackItem,
  Tab,
  Tabs,
  TabTitleText,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMemo, useState } from 'react';
import { newRequestKey } from '../api/client.js';
import type {
  Attachment,
  AttachResult,
  ListOf,
  Pool,
  PoolSelector,
  PoolVf,
  Tenant,
} from '../../contract/index.js';
import { StateLabel } from '../components/labels.js';
import { Empty, ErrorState, Loading, ProblemAlert } from '../components/states.js';
import { filterRows, haystack } from '../lib/filter.js';
import { shortAttachmentId } from '../../contract/attachment-id.js';
import { formatMbps, formatTime, formatVlan } from '../lib/format.js';
import type { ApiError } from '../lib/problem.js';
import { useRefreshOn } from '../state/live.js';
import { navigate } from '../state/router.js';
import { can, useSession } from '../state/session.js';
import { asApiError, useApi } from '../state/useApi.js';
import { AttachModal } from './allocations/AttachModal.js';
import { Explanation } from './allocations/PlacementPreview.js';

const TABS = ['attachments', 'tenants', 'pools'] as const;
type TabKey = (typeof TABS)[number];

export function AllocationsPage({ tab }: { tab: string | null }) {
  const active: TabKey = TABS.find((t) => t === tab) ?? 'attachments';
  const attachments = useApi<ListOf<Attachment>>('/attachments');
  const tenants = useApi<ListOf<Tenant>>('/tenants');
  const pools = useApi<ListOf<Pool>>('/pools');
  // Bumped on every reload, so the pools' free/taken counts are read again too.
  const [generation, setGeneration] = useState(0);
  useRefreshOn(['attachment', 'tenant', 'pool', 'reconcile', 'apply.done'], () => {
    attachments.reload();
    tenants.reload();
    pools.reload();
    setGeneration((g) => g + 1);
  });

  return (
    <PageSection data-testid="page-allocations">
      <Stack hasGutter>
        <StackItem>
          <Title headingLevel="h1">Allocations</Title>
        </StackItem>
        <StackItem>
          <Tabs
            activeKey={active}
            onSelect={(_e, k) => navigate('allocations', String(k))}
            aria-label="Allocations"
            mountOnEnter
            unmountOnExit
          >
            <Tab
              eventKey="attachments"
              title={<TabTitleText>Attachments</TabTitleText>}
              data-testid="tab-attachments"
            >
              <AttachmentsTab
                attachments={attachments}
                tenants={tenants.data?.items ?? []}
                pools={pools.data?.items ?? []}
              />
            </Tab>
            <Tab
              eventKey="tenants"
              title={<TabTitleText>Tenants</TabTitleText>}
              data-testid="tab-tenants"
            >
              <TenantsTab tenants={tenants} attachments={attachments.data?.items ?? []} />
            </Tab>
            <Tab
              eventKey="pools"
              title={<TabTitleText>Pools</TabTitleText>}
              data-testid="tab-pools"
            >
              <PoolsTab pools={pools} generation={generation} />
            </Tab>
          </Tabs>
        </StackItem>
      </Stack>
    </PageSection>
  );
}

interface Res<T> {
  data: T | undefined;
  error: ApiError | null;
  reload: () => void;
}

function AttachmentsTab({
  attachments,
  tenants,
  pools,
}: {
  attachments: Res<ListOf<Attachment>>;
  tenants: Tenant[];
  pools: Pool[];
}) {
  const { me, api } = useSession();
  const mutate = can(me, 'operator');
  const [query, setQuery] = useState('');
  const [attachOpen, setAttachOpen] = useState(false);
  const [attached, setAttached] = useState<AttachResult | null>(null);
  const [detaching, setDetaching] = useState<Attachment | null>(null);
  const [detached, setDetached] = useState<Attachment | null>(null);
  const [detachError, setDetachError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [detachKey, setDetachKey] = useState('');

  const rows = useMemo(() => {
    const items = attachments.data?.items ?? [];
    return filterRows(
      items,
      (a) =>
        haystack([
          a.id,
          a.tenant,
          a.pool,
          a.consumer.kind,
          a.consumer.name,
          a.consumer.host,
          a.interface,
          a.pfNetdev ?? a.pf,
          `${a.pfNetdev ?? a.pf}#${a.vfIndex}`,
          a.mac,
          `vlan:${a.vlan}`,
          a.state,
        ]),
      query,
    );
  }, [attachments.data, query]);

  const detach = async () => {
    if (!detaching) return;
    setBusy(true);
    setDetachError(null);
    try {
      const a = await api<Attachment>('DELETE', `/attachments/${detaching.id}`, {
        headers: { 'Idempotency-Key': detachKey },
      });
      setDetached(a);
      setDetaching(null);
      attachments.reload();
    } catch (err) {
      setDetachError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack hasGutter style={{ paddingTop: '1rem' }}>
      {attached && (
        <StackItem>
          <Alert
            variant="success"
            isInline
            title={`Attached ${attached.attachments.length} VF${attached.attachments.length === 1 ? '' : 's'}`}
            data-testid="attach-success"
            actionClose={<AlertActionCloseButton onClose={() => setAttached(null)} />}
          >
            <List>
              {attached.attachments.map((a, i) => (
                <ListItem key={a.id} data-testid="attach-success-item" data-attachment-id={a.id}>
                  {a.consumer.name} {a.interface} → {a.pfNetdev ?? a.pf} VF {a.vfIndex}
                  {a.mac !== null ? `, MAC ${a.mac}` : ''}
                  {attached.reasons[i] ? ` (${attached.reasons[i]})` : ''}
                </ListItem>
              ))}
            </List>
            <Explanation e={attached.placement} testId="attach-success-explanation" />
          </Alert>
        </StackItem>
      )}
      {detached && (
        <StackItem>
          <Alert
            variant="success"
            isInline
            title={`Detached ${detached.consumer.name} ${detached.interface} from ${detached.pfNetdev ?? detached.pf} VF ${detached.vfIndex}`}
            data-testid="detach-success"
            actionClose={<AlertActionCloseButton onClose={() => setDetached(null)} />}
          />
        </StackItem>
      )}
      <StackItem>
        <Flex>
          <FlexItem grow={{ default: 'grow' }}>
            <TextInput
              type="search"
              value={query}
              onChange={(_e, v) => setQuery(v)}
              aria-label="Filter attachments"
              placeholder="Filter: tenant, consumer, PF, MAC, state…"
              data-testid="attachments-filter"
            />
          </FlexItem>
          {mutate && (
            <FlexItem>
              <Button
                variant="primary"
                onClick={() => setAttachOpen(true)}
                data-testid="attach-open"
                isDisabled={!attachments.data}
              >
                Attach VFs
              </Button>
            </FlexItem>
          )}
        </Flex>
      </StackItem>
      <StackItem>
        {attachments.error ? (
          <ErrorState
            error={attachments.error}
            retry={attachments.reload}
            testId="attachments-error"
          />
        ) : !attachments.data ? (
          <Loading what="attachments" />
        ) : attachments.data.items.length === 0 ? (
          <Empty title="No attachments" testId="attachments-empty">
            {mutate
              ? 'Attach VFs to a VM, pod or process with "Attach VFs".'
              : 'Nothing is attached yet.'}
          </Empty>
        ) : rows.length === 0 ? (
          <Empty title="No attachment matches the filter" testId="attachments-no-match" />
        ) : (
          <Table aria-label="Attachments" variant="compact" data-testid="attachments-table">
            <Thead>
              <Tr>
                <Th>ID</Th>
                <Th>Tenant</Th>
                <Th>Pool</Th>
                <Th>Consumer</Th>
                <Th>Interface</Th>
                <Th>VF</Th>
                <Th>MAC</Th>
                <Th>VLAN</Th>
                <Th>Rate min / max</Th>
                <Th>State</Th>
                <Th>Created</Th>
                {mutate && <Th screenReaderText="Actions" />}
              </Tr>
            </Thead>
            <Tbody>
              {rows.map((a) => (
                <Tr
                  key={a.id}
                  data-testid={`attachment-row-${a.id}`}
                  data-consumer={a.consumer.name}
                  data-tenant={a.tenant}
                  data-vf={`${a.pfNetdev ?? a.pf}#${a.vfIndex}`}
                >
                  <Td modifier="nowrap" dataLabel="ID" className="sriov-mono" title={a.id}>
                    {shortAttachmentId(a.id)}
                  </Td>
                  <Td modifier="nowrap" dataLabel="Tenant">
                    {a.tenant}
                  </Td>
                  <Td modifier="nowrap" dataLabel="Pool">
                    {a.pool}
                  </Td>
                  <Td dataLabel="Consumer">
                    {a.consumer.kind} {a.consumer.name}
                    <div className="sriov-muted">{a.consumer.host}</div>
                  </Td>
                  <Td modifier="nowrap" dataLabel="Interface">
                    {a.interface}
                  </Td>
                  <Td dataLabel="VF">
                    {a.pfNetdev ?? a.pf} #{a.vfIndex}
                    <div className="sriov-muted sriov-mono">{a.vfPciAddress}</div>
                  </Td>
                  <Td modifier="nowrap" dataLabel="MAC" className="sriov-mono">
                    {a.mac ?? '—'}
                  </Td>
                  <Td modifier="nowrap" dataLabel="VLAN">
                    {a.mac === null ? '—' : formatVlan(a.vlan, a.qos)}
                    {a.mac !== null && a.vlan !== 0 && a.vlanProto === '802.1ad' ? ' 802.1ad' : ''}
                  </Td>
                  <Td modifier="nowrap" dataLabel="Rate">
                    {formatMbps(a.minTxRate, '0')} / {formatMbps(a.maxTxRate, '∞')}
                  </Td>
                  <Td dataLabel="State">
                    <StateLabel state={a.state} testId={`attachment-state-${a.id}`} />
                    {a.detail && <div className="sriov-muted">{a.detail}</div>}
                  </Td>
                  <Td modifier="nowrap" dataLabel="Created">
                    {formatTime(a.createdAt)}
                  </Td>
                  {mutate && (
                    <Td dataLabel="Actions">
                      <Button
                        variant="secondary"
                        isDanger
                        size="sm"
                        onClick={() => {
                          setDetachError(null);
                          setDetachKey(newRequestKey());
                          setDetaching(a);
                        }}
                        data-testid={`detach-${a.id}`}
                        aria-label={`Detach ${a.consumer.name} ${a.interface}`}
                        isDisabled={a.state === 'attaching' || a.state === 'detaching'}
                      >
                        Detach
                      </Button>
                    </Td>
                  )}
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </StackItem>
      {attachOpen && (
        <AttachModal
          tenants={tenants}
          pools={pools}
          onClose={() => setAttachOpen(false)}
          onAttached={(r) => {
            setAttachOpen(false);
            setAttached(r);
            setDetached(null);
            attachments.reload();
          }}
        />
      )}
      {detaching && (
        <Modal
          isOpen
          variant="small"
          onClose={() => setDetaching(null)}
          aria-labelledby="detach-title"
          data-testid="detach-modal"
        >
          <ModalHeader title="Detach this VF?" labelId="detach-title" titleIconVariant="warning" />
          <ModalBody>
            <p>
              {detaching.consumer.kind} <strong>{detaching.consumer.name}</strong> loses{' '}
              {detaching.interface} ({detaching.pfNetdev ?? detaching.pf} VF {detaching.vfIndex}
              {detaching.mac !== null ? `, MAC ${detaching.mac}` : ''}). The VF is scrubbed (MAC,
              VLAN, rates reset; the pool&apos;s driver) and returns to pool {detaching.pool}.
            </p>
            {detachError && <ProblemAlert error={detachError} testId="detach-error" />}
          </ModalBody>
          <ModalFooter>
            <Button
              variant="danger"
              onClick={() => void detach()}
              isLoading={busy}
              isDisabled={busy}
              data-testid="detach-confirm"
            >
              Detach
            </Button>
            <Button variant="link" onClick={() => setDetaching(null)} data-testid="detach-cancel">
              Cancel
            </Button>
          </ModalFooter>
        </Modal>
      )}
    </Stack>
  );
}

function TenantsTab({
  tenants,
  attachments,
}: {
  tenants: Res<ListOf<Tenant>>;
  attachments: Attachment[];
}) {
  if (tenants.error)
    return <ErrorState error={tenants.error} retry={tenants.reload} testId="tenants-error" />;
  if (!tenants.data) return <Loading what="tenants" />;
  if (tenants.data.items.length === 0)
    return (
      <Empty title="No tenants" testId="tenants-empty">
        An admin creates them with <code>sriovctl tenant create</code> or PUT /api/v1/tenants/NAME.
      </Empty>
    );
  return (
    <Table aria-label="Tenants" variant="compact" data-testid="tenants-table">
      <Thead>
        <Tr>
          <Th>Name</Th>
          <Th>Pools</Th>
          <Th>VLANs</Th>
          <Th>VFs held / max</Th>
          <Th>Guaranteed / max</Th>
          <Th>Trust</Th>
          <Th>Description</Th>
        </Tr>
      </Thead>
      <Tbody>
        {tenants.data.items.map((t) => {
          const mine = attachments.filter((a) => a.tenant === t.name);
          const guaranteed = mine.reduce((n, a) => n + a.minTxRate, 0);
          return (
            <Tr key={t.name} data-testid={`tenant-row-${t.name}`}>
              <Td dataLabel="Name">{t.name}</Td>
              <Td dataLabel="Pools">{t.pools.join(', ') || '—'}</Td>
              <Td dataLabel="VLANs">{t.vlans || '—'}</Td>
              <Td dataLabel="VFs" data-testid={`tenant-vfs-${t.name}`}>
                {mine.length} / {t.maxVfs ?? '∞'}
              </Td>
              <Td dataLabel="Guaranteed">
                {formatMbps(guaranteed, '0')} /{' '}
                {t.maxGuaranteedMbps !== undefined ? formatMbps(t.maxGuaranteedMbps, '0') : '∞'}
              </Td>
              <Td dataLabel="Trust">{t.allowTrust ? 'allowed' : 'no'}</Td>
              <Td dataLabel="Description">{t.description ?? ''}</Td>
            </Tr>
          );
        })}
      </Tbody>
    </Table>
  );
}

function selectorText(s: PoolSelector): string {
  const parts: string[] = [];
  if (s.pfNames?.length) parts.push(`PFs ${s.pfNames.join(', ')}`);
  if (s.pciAddresses?.length) parts.push(`PCI ${s.pciAddresses.join(', ')}`);
  if (s.vendor) parts.push(`vendor ${s.vendor}`);
  if (s.deviceID) parts.push(`device ${s.deviceID}`);
  if (s.drivers?.length) parts.push(`drivers ${s.drivers.join(', ')}`);
  if (s.vfRange) parts.push(`VFs ${s.vfRange}`);
  return parts.join(' · ');
}

function PoolUse({ name }: { name: string }) {
  const vfs = useApi<ListOf<PoolVf>>(`/pools/${encodeURIComponent(name)}/vfs`);
  if (vfs.error) return <span className="sriov-muted">{vfs.error.problem.detail}</span>;
  if (!vfs.data) return <span className="sriov-muted">…</span>;
  const taken = vfs.data.items.filter((v) => v.status === 'taken').length;
  const unusable = vfs.data.items.filter((v) => v.status === 'unusable');
  const free = vfs.data.items.length - taken - unusable.length;
  return (
    <span
      data-testid={`pool-use-${name}`}
      data-free={free}
      data-taken={taken}
      data-unusable={unusable.length}
    >
      {free} free / {taken} taken of {vfs.data.items.length}
      {unusable.length > 0 && (
        <div className="sriov-muted" data-testid={`pool-unusable-${name}`}>
          {unusable.length} unusable: {unusable[0]!.unusable?.reason} — fix:{' '}
          {unusable[0]!.unusable?.fix}
        </div>
      )}
    </span>
  );
}

function PoolsTab({ pools, generation }: { pools: Res<ListOf<Pool>>; generation: number }) {
  if (pools.error)
    return <ErrorState error={pools.error} retry={pools.reload} testId="pools-error" />;
  if (!pools.data) return <Loading what="pools" />;
  if (pools.data.items.length === 0)
    return (
      <Empty title="No pools" testId="pools-empty">
        A pool selects the VFs tenants may take: <code>sriovctl pool create</code> or PUT
        /api/v1/pools/NAME.
      </Empty>
    );
  return (
    <Table aria-label="Pools" variant="compact" data-testid="pools-table">
      <Thead>
        <Tr>
          <Th>Name</Th>
          <Th>Selector</Th>
          <Th>VF driver</Th>
          <Th>VFs</Th>
          <Th>Description</Th>
        </Tr>
      </Thead>
      <Tbody>
        {pools.data.items.map((p) => (
          <Tr key={p.name} data-testid={`pool-row-${p.name}`}>
            <Td dataLabel="Name">{p.name}</Td>
            <Td dataLabel="Selector">{selectorText(p.selector)}</Td>
            <Td dataLabel="VF driver">{p.vfDriver}</Td>
            <Td dataLabel="VFs">
              <PoolUse key={generation} name={p.name} />
            </Td>
            <Td dataLabel="Description">{p.description ?? ''}</Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}
