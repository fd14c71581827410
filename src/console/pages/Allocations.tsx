/**
 * Allocations: attachments (attach, detach), tenants with their quota use, and pools (the tenants'
 * and pools' tabs, with an admin's create, edit and delete, are in ./catalog).
 */
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
import type { Attachment, AttachResult, ListOf, Pool, Tenant } from '../../contract/index.js';
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
import { PoolsTab } from './catalog/PoolsTab.js';
import { TenantsTab } from './catalog/TenantsTab.js';

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
              <TenantsTab
                tenants={tenants}
                attachments={attachments.data?.items ?? []}
                pools={pools.data?.items ?? []}
              />
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
            {!mutate ? (
              'Nothing is attached yet.'
            ) : tenants.length > 0 ? (
              'Attach VFs to a VM, pod or process with "Attach VFs".'
            ) : can(me, 'admin') ? (
              <>
                VFs are attached for a tenant, from a pool: create them first.{' '}
                <Button
                  variant="link"
                  isInline
                  onClick={() => navigate('allocations', pools.length > 0 ? 'tenants' : 'pools')}
                  data-testid="attachments-empty-setup"
                >
                  {pools.length > 0 ? 'Create a tenant' : 'Create a pool'}
                </Button>
              </>
            ) : (
              'No tenant can attach yet: an admin creates pools and tenants first.'
            )}
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
