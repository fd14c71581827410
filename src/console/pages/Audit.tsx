/** Audit: the log, newest first, filterable by tenant, action and target, paged with `next`. */
import {
  ActionGroup,
  Button,
  ExpandableSection,
  Form,
  FormGroup,
  Grid,
  GridItem,
  PageSection,
  Stack,
  StackItem,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { AuditEntry, AuditPage as Page } from '../../contract/index.js';
import { Empty, ErrorState, Loading, ProblemAlert } from '../components/states.js';
import { formatTime } from '../lib/format.js';
import type { ApiError } from '../lib/problem.js';
import { useSession } from '../state/session.js';
import { asApiError, useApi } from '../state/useApi.js';

const PAGE = 50;

interface Filters {
  tenant: string;
  action: string;
  target: string;
}

function query(f: Filters, before: number | null): string {
  const q = new URLSearchParams();
  for (const k of ['tenant', 'action', 'target'] as const) if (f[k].trim()) q.set(k, f[k].trim());
  if (before !== null) q.set('before', String(before));
  q.set('limit', String(PAGE));
  return `/audit?${q.toString()}`;
}

function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="sriov-muted">—</span>;
  return <pre className="sriov-json sriov-mono">{JSON.stringify(value, null, 2)}</pre>;
}

export function AuditPage() {
  const { api, me } = useSession();
  const [draft, setDraft] = useState<Filters>({ tenant: me.tenant ?? '', action: '', target: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const path = query(filters, null);
  const first = useApi<Page>(path);
  // Older pages, for the filters they were loaded with.
  const [older, setOlder] = useState<{
    for: string;
    items: AuditEntry[];
    next: number | null;
  } | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const extra = older?.for === path ? older : null;
  const items = first.data ? [...first.data.items, ...(extra?.items ?? [])] : null;
  const next = extra ? extra.next : (first.data?.next ?? null);
  const error = first.error;

  const more = async () => {
    if (next === null) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const p = await api<Page>('GET', query(filters, next));
      setOlder((o) => ({
        for: path,
        items: [...(o?.for === path ? o.items : []), ...p.items],
        next: p.next,
      }));
    } catch (err) {
      setMoreError(asApiError(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const apply = (f: Filters) => {
    setDraft(f);
    setFilters(f);
    setOlder(null);
    setMoreError(null);
    if (query(f, null) === path) first.reload();
  };

  const input = (k: keyof Filters, label: string, placeholder: string, disabled = false) => (
    <FormGroup label={label} fieldId={`audit-filter-${k}`}>
      <TextInput
        id={`audit-filter-${k}`}
        value={draft[k]}
        onChange={(_e, v) => setDraft((d) => ({ ...d, [k]: v }))}
        placeholder={placeholder}
        data-testid={`audit-filter-${k}`}
        aria-label={label}
        isDisabled={disabled}
      />
    </FormGroup>
  );

  return (
    <PageSection data-testid="page-audit">
      <Stack hasGutter>
        <StackItem>
          <Title headingLevel="h1">Audit log</Title>
        </StackItem>
        <StackItem>
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              apply({ ...draft });
            }}
          >
            <Grid hasGutter md={4}>
              <GridItem>{input('tenant', 'Tenant', 'e.g. team-a', me.tenant !== null)}</GridItem>
              <GridItem>{input('action', 'Action', 'e.g. attachment.create')}</GridItem>
              <GridItem>
                {input('target', 'Target', 'e.g. attachment/<id>, tenant/team-a, pool/gpu')}
              </GridItem>
            </Grid>
            <ActionGroup>
              <Button type="submit" variant="primary" data-testid="audit-apply">
                Filter
              </Button>
              <Button
                variant="link"
                data-testid="audit-clear"
                onClick={() => apply({ tenant: me.tenant ?? '', action: '', target: '' })}
              >
                Clear
              </Button>
            </ActionGroup>
          </Form>
        </StackItem>
        <StackItem>
          {error ? (
            <ErrorState error={error} retry={first.reload} testId="audit-error" />
          ) : items === null ? (
            <Loading what="audit log" />
          ) : items.length === 0 ? (
            <Empty title="No audit entries" testId="audit-empty">
              {filters.tenant || filters.action || filters.target
                ? 'Nothing matches these filters.'
                : 'Nothing has been changed yet.'}
            </Empty>
          ) : (
            <Stack hasGutter>
              <Table aria-label="Audit log" variant="compact" data-testid="audit-table">
                <Thead>
                  <Tr>
                    <Th>#</Th>
                    <Th>When</Th>
                    <Th>Actor</Th>
                    <Th>Action</Th>
                    <Th>Tenant</Th>
                    <Th>Target</Th>
                    <Th width={40}>Change</Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {items.map((e) => (
                    <Tr
                      key={e.seq}
                      data-testid={`audit-row-${e.seq}`}
                      data-action={e.action}
                      data-tenant={e.tenant ?? ''}
                      data-target={e.target}
                    >
                      <Td dataLabel="#">{e.seq}</Td>
                      <Td modifier="nowrap" dataLabel="When">
                        {formatTime(e.at)}
                      </Td>
                      <Td modifier="nowrap" dataLabel="Actor">
                        {e.actor}
                      </Td>
                      <Td modifier="nowrap" dataLabel="Action">
                        {e.action}
                      </Td>
                      <Td modifier="nowrap" dataLabel="Tenant">
                        {e.tenant ?? '—'}
                      </Td>
                      <Td dataLabel="Target" className="sriov-mono">
                        <Button
                          variant="link"
                          isInline
                          onClick={() => apply({ ...draft, target: e.target })}
                          title="Show this target's history"
                        >
                          {e.target}
                        </Button>
                      </Td>
                      <Td dataLabel="Change">
                        <ExpandableSection toggleText="before / after">
                          <Grid hasGutter md={6}>
                            <GridItem>
                              <strong>before</strong>
                              <Json value={e.before} />
                            </GridItem>
                            <GridItem>
                              <strong>after</strong>
                              <Json value={e.after} />
                            </GridItem>
                          </Grid>
                        </ExpandableSection>
                      </Td>
                    </Tr>
                  ))}
                </Tbody>
              </Table>
              {moreError && <ProblemAlert error={moreError} testId="audit-more-error" />}
              {next !== null && (
                <div>
                  <Button
                    variant="secondary"
                    onClick={() => void more()}
                    isLoading={loadingMore}
                    isDisabled={loadingMore}
                    data-testid="audit-more"
                  >
                    Older entries
                  </Button>
                </div>
              )}
            </Stack>
          )}
        </StackItem>
      </Stack>
    </PageSection>
  );
}
