/** The tenants with their quota use; admins create, edit and delete them here. */
import { Stack, StackItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { CreateButton, RowActions } from './RowActions.js';
import type { Attachment, ListOf, Pool, Tenant } from '../../../contract/index.js';
import { ErrorState, Loading } from '../../components/states.js';
import { formatMbps } from '../../lib/format.js';
import { navigate } from '../../state/router.js';
import { can, useSession } from '../../state/session.js';
import type { Resource } from '../../state/useApi.js';
import { DeleteModal } from './DeleteModal.js';
import { EmptyWithAction } from './EmptyWithAction.js';
import { TenantFormModal } from './TenantFormModal.js';

export function TenantsTab({
  tenants,
  attachments,
  pools,
}: {
  tenants: Pick<Resource<ListOf<Tenant>>, 'data' | 'error' | 'reload'>;
  attachments: Attachment[];
  pools: Pool[];
}) {
  const { me, api } = useSession();
  const admin = can(me, 'admin');
  // undefined: closed; null: a new tenant; a tenant: editing it.
  const [editing, setEditing] = useState<Tenant | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<Tenant | null>(null);

  let body;
  if (tenants.error)
    body = <ErrorState error={tenants.error} retry={tenants.reload} testId="tenants-error" />;
  else if (!tenants.data) body = <Loading what="tenants" />;
  else if (tenants.data.items.length === 0)
    body = (
      <EmptyWithAction
        title="No tenants yet"
        testId="tenants-empty"
        {...(admin
          ? {
              action:
                pools.length > 0
                  ? {
                      label: 'Create tenant',
                      onClick: () => setEditing(null),
                      testId: 'tenant-create-empty',
                    }
                  : {
                      label: 'Create a pool first',
                      onClick: () => navigate('allocations', 'pools'),
                      testId: 'tenant-needs-pool',
                    },
            }
          : {})}
      >
        A tenant takes VFs from its pools, within its VLANs and quotas.
        {admin ? '' : ' An admin creates tenants.'}
      </EmptyWithAction>
    );
  else
    body = (
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
            {admin && <Th screenReaderText="Actions" />}
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
                {admin && (
                  <RowActions
                    kind="tenant"
                    name={t.name}
                    onEdit={() => setEditing(t)}
                    onRemove={() => setDeleting(t)}
                  />
                )}
              </Tr>
            );
          })}
        </Tbody>
      </Table>
    );

  return (
    <Stack hasGutter style={{ paddingTop: '1rem' }}>
      {admin && (tenants.data?.items.length ?? 0) > 0 && (
        <StackItem>
          <CreateButton
            label="Create tenant"
            testId="tenant-create"
            onClick={() => setEditing(null)}
          />
        </StackItem>
      )}
      <StackItem>{body}</StackItem>
      {editing !== undefined && (
        <TenantFormModal
          {...(editing ? { tenant: editing } : {})}
          pools={pools}
          taken={tenants.data?.items.map((t) => t.name) ?? []}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            tenants.reload();
          }}
        />
      )}
      {deleting && (
        <DeleteModal
          title={`Delete tenant ${deleting.name}?`}
          testId="tenant-delete-modal"
          run={() => api('DELETE', `/tenants/${encodeURIComponent(deleting.name)}`)}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setDeleting(null);
            tenants.reload();
          }}
        >
          <p>
            Its tokens are revoked with it. The API refuses while the tenant holds VFs: detach them
            first.
          </p>
        </DeleteModal>
      )}
    </Stack>
  );
}
