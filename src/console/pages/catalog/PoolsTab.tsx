/** The pools: their selector, driver and VF use; admins create, edit and delete them here. */
import { Stack, StackItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { CreateButton, RowActions } from './RowActions.js';
import type { ListOf, Pool, PoolSelector, PoolVf } from '../../../contract/index.js';
import { ErrorState, Loading } from '../../components/states.js';
import { can, useSession } from '../../state/session.js';
import { useApi, type Resource } from '../../state/useApi.js';
import { DeleteModal } from './DeleteModal.js';
import { EmptyWithAction } from './EmptyWithAction.js';
import { PoolFormModal } from './PoolFormModal.js';

/** A selector in one line: "PFs ens1f0 · VFs 0-7". */
export function selectorText(s: PoolSelector): string {
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

export function PoolsTab({
  pools,
  generation,
}: {
  pools: Pick<Resource<ListOf<Pool>>, 'data' | 'error' | 'reload'>;
  generation: number;
}) {
  const { me, api } = useSession();
  const admin = can(me, 'admin');
  // undefined: closed; null: a new pool; a pool: editing it.
  const [editing, setEditing] = useState<Pool | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<Pool | null>(null);

  let body;
  if (pools.error)
    body = <ErrorState error={pools.error} retry={pools.reload} testId="pools-error" />;
  else if (!pools.data) body = <Loading what="pools" />;
  else if (pools.data.items.length === 0)
    body = (
      <EmptyWithAction
        title="No pools yet"
        testId="pools-empty"
        {...(admin
          ? {
              action: {
                label: 'Create pool',
                onClick: () => setEditing(null),
                testId: 'pool-create-empty',
              },
            }
          : {})}
      >
        A pool selects the VFs tenants may take.
        {admin ? '' : ' An admin creates pools.'}
      </EmptyWithAction>
    );
  else
    body = (
      <Table aria-label="Pools" variant="compact" data-testid="pools-table">
        <Thead>
          <Tr>
            <Th>Name</Th>
            <Th>Selector</Th>
            <Th>VF driver</Th>
            <Th>VFs</Th>
            <Th>Description</Th>
            {admin && <Th screenReaderText="Actions" />}
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
              {admin && (
                <RowActions
                  kind="pool"
                  name={p.name}
                  onEdit={() => setEditing(p)}
                  onRemove={() => setDeleting(p)}
                />
              )}
            </Tr>
          ))}
        </Tbody>
      </Table>
    );

  return (
    <Stack hasGutter style={{ paddingTop: '1rem' }}>
      {admin && (pools.data?.items.length ?? 0) > 0 && (
        <StackItem>
          <CreateButton label="Create pool" testId="pool-create" onClick={() => setEditing(null)} />
        </StackItem>
      )}
      <StackItem>{body}</StackItem>
      {editing !== undefined && (
        <PoolFormModal
          {...(editing ? { pool: editing } : {})}
          taken={pools.data?.items.map((p) => p.name) ?? []}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            pools.reload();
          }}
        />
      )}
      {deleting && (
        <DeleteModal
          title={`Delete pool ${deleting.name}?`}
          testId="pool-delete-modal"
          run={() => api('DELETE', `/pools/${encodeURIComponent(deleting.name)}`)}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setDeleting(null);
            pools.reload();
          }}
        >
          <p>
            Tenants can no longer take VFs from it. The API refuses while a VF of the pool is
            attached or a tenant still names it.
          </p>
        </DeleteModal>
      )}
    </Stack>
  );
}
