/** Tokens (admins only): who may use the API and the console, created with the secret shown once, revoked. */
import {
  Button,
  Flex,
  FlexItem,
  PageSection,
  Stack,
  StackItem,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { ListOf, Tenant, TokenRecord } from '../../contract/index.js';
import { ErrorState, Loading } from '../components/states.js';
import { formatTime } from '../lib/format.js';
import { useRefreshOn } from '../state/live.js';
import { useSession } from '../state/session.js';
import { useApi } from '../state/useApi.js';
import { DeleteModal } from './catalog/DeleteModal.js';
import { EmptyWithAction } from './catalog/EmptyWithAction.js';
import { RowActions } from './catalog/RowActions.js';
import { CreateTokenModal } from './tokens/CreateTokenModal.js';

export function TokensPage() {
  const { me, api } = useSession();
  const tokens = useApi<ListOf<TokenRecord>>('/tokens');
  const tenants = useApi<ListOf<Tenant>>('/tenants');
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<TokenRecord | null>(null);
  useRefreshOn(['tenant'], () => {
    tokens.reload();
    tenants.reload();
  });

  let body;
  if (tokens.error)
    body = <ErrorState error={tokens.error} retry={tokens.reload} testId="tokens-error" />;
  else if (!tokens.data) body = <Loading what="tokens" />;
  else if (tokens.data.items.length === 0)
    body = (
      <EmptyWithAction
        title="No tokens yet"
        testId="tokens-empty"
        action={{
          label: 'Create token',
          onClick: () => setCreating(true),
          testId: 'token-create-empty',
        }}
      >
        A token lets a person or a program use the console and the API, with a role.
      </EmptyWithAction>
    );
  else
    body = (
      <Table aria-label="Tokens" variant="compact" data-testid="tokens-table">
        <Thead>
          <Tr>
            <Th>Name</Th>
            <Th>Role</Th>
            <Th>Tenant</Th>
            <Th>Created</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        <Tbody>
          {tokens.data.items.map((t) => (
            <Tr
              key={t.id}
              data-testid={`token-row-${t.name}`}
              data-role={t.role}
              data-tenant={t.tenant ?? ''}
            >
              <Td dataLabel="Name">
                {t.name}
                {t.name === me.name && <span className="sriov-muted"> (this session)</span>}
              </Td>
              <Td dataLabel="Role">{t.role}</Td>
              <Td dataLabel="Tenant">{t.tenant ?? 'host-wide'}</Td>
              <Td dataLabel="Created" modifier="nowrap">
                {formatTime(t.createdAt)}
              </Td>
              <RowActions
                kind="token"
                name={t.name}
                onRemove={() => setRevoking(t)}
                remove="Revoke"
              />
            </Tr>
          ))}
        </Tbody>
      </Table>
    );

  return (
    <PageSection data-testid="page-tokens">
      <Stack hasGutter>
        <StackItem>
          <Flex>
            <FlexItem grow={{ default: 'grow' }}>
              <Title headingLevel="h1">Tokens</Title>
            </FlexItem>
            {(tokens.data?.items.length ?? 0) > 0 && (
              <FlexItem>
                <Button
                  variant="primary"
                  onClick={() => setCreating(true)}
                  data-testid="token-create"
                >
                  Create token
                </Button>
              </FlexItem>
            )}
          </Flex>
        </StackItem>
        <StackItem>{body}</StackItem>
      </Stack>
      {creating && (
        <CreateTokenModal
          tenants={tenants.data?.items ?? []}
          onClose={() => setCreating(false)}
          onCreated={() => tokens.reload()}
        />
      )}
      {revoking && (
        <DeleteModal
          title={`Revoke token ${revoking.name}?`}
          testId="token-revoke-modal"
          action="Revoke"
          run={() => api('DELETE', `/tokens/${encodeURIComponent(revoking.id)}`)}
          onClose={() => setRevoking(null)}
          onDone={() => {
            setRevoking(null);
            tokens.reload();
          }}
        >
          <p>
            Whoever holds it can no longer use the API or the console
            {revoking.name === me.name ? ' — including this session, which then ends' : ''}.
          </p>
        </DeleteModal>
      )}
    </PageSection>
  );
}
