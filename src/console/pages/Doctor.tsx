/** Doctor: every preflight check with its status, the evidence it saw and the fix to copy. */
import {
  Button,
  CodeBlock,
  CodeBlockAction,
  CodeBlockCode,
  ExpandableSection,
  Flex,
  FlexItem,
  List,
  ListItem,
  PageSection,
  Stack,
  StackItem,
  ToggleGroup,
  ToggleGroupItem,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { CheckStatus, DoctorReport } from '../../contract/index.js';
import { CopyButton } from '../components/CopyButton.js';
import { CheckLabel } from '../components/labels.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useRefreshOn } from '../state/live.js';
import { useApi } from '../state/useApi.js';

const ORDER: Record<CheckStatus, number> = { fail: 0, warn: 1, info: 2, pass: 3 };

/** `iommu.enabled` on host, `pf.default-route` on 0000:3b:00.0 → a test id safe string. */
const checkId = (id: string, scope: string) => `${id}--${scope}`.replace(/[^a-zA-Z0-9._-]/g, '_');

export function DoctorPage() {
  const doctor = useApi<DoctorReport>('/doctor');
  useRefreshOn(['drift', 'health', 'apply.done', 'inventory'], doctor.reload);
  const [show, setShow] = useState<'problems' | 'all'>('all');

  let body: React.ReactNode;
  if (doctor.error)
    body = <ErrorState error={doctor.error} retry={doctor.reload} testId="doctor-error" />;
  else if (!doctor.data) body = <Loading what="doctor results" />;
  else {
    const results = [...doctor.data.results]
      .filter((r) => show === 'all' || r.status === 'warn' || r.status === 'fail')
      .sort((a, b) => ORDER[a.status] - ORDER[b.status]);
    body =
      results.length === 0 ? (
        <Empty title={show === 'all' ? 'No checks ran' : 'No problems'} testId="doctor-empty">
          {show === 'all'
            ? 'The doctor returned no results.'
            : 'Every check passed or is informational.'}
        </Empty>
      ) : (
        <Table aria-label="Doctor checks" variant="compact" data-testid="doctor-table">
          <Thead>
            <Tr>
              <Th>Status</Th>
              <Th>Check</Th>
              <Th>Scope</Th>
              <Th width={50}>Evidence and fix</Th>
            </Tr>
          </Thead>
          <Tbody>
            {results.map((r) => {
              const id = checkId(r.id, r.scope);
              return (
                <Tr
                  key={id}
                  data-testid={`doctor-check-${id}`}
                  data-check={r.id}
                  data-scope={r.scope}
                  data-status={r.status}
                >
                  <Td dataLabel="Status">
                    <CheckLabel status={r.status} />
                  </Td>
                  <Td dataLabel="Check">
                    {r.title}
                    <div className="sriov-muted sriov-mono">{r.id}</div>
                  </Td>
                  <Td dataLabel="Scope" className="sriov-mono">
                    {r.scope}
                  </Td>
                  <Td dataLabel="Evidence and fix">
                    {r.evidence.length > 0 && (
                      <ExpandableSection
                        toggleText={`Evidence (${r.evidence.length})`}
                        data-testid={`doctor-evidence-${id}`}
                        isIndented
                      >
                        <List isPlain>
                          {r.evidence.map((e, i) => (
                            <ListItem key={i} className="sriov-mono">
                              {e}
                            </ListItem>
                          ))}
                        </List>
                      </ExpandableSection>
                    )}
                    {r.fix && (
                      <CodeBlock
                        data-testid={`doctor-fix-${id}`}
                        actions={
                          <CodeBlockAction>
                            <CopyButton
                              text={r.fix}
                              label={`Copy the fix for ${r.title}`}
                              testId={`doctor-fix-copy-${id}`}
                            />
                          </CodeBlockAction>
                        }
                      >
                        <CodeBlockCode>{r.fix}</CodeBlockCode>
                      </CodeBlock>
                    )}
                  </Td>
                </Tr>
              );
            })}
          </Tbody>
        </Table>
      );
  }

  return (
    <PageSection data-testid="page-doctor">
      <Stack hasGutter>
        <StackItem>
          <Flex alignItems={{ default: 'alignItemsCenter' }}>
            <FlexItem>
              <Title headingLevel="h1">Doctor</Title>
            </FlexItem>
            {doctor.data && (
              <FlexItem>
                worst: <CheckLabel status={doctor.data.worst} testId="doctor-worst" />
              </FlexItem>
            )}
            <FlexItem align={{ default: 'alignRight' }}>
              <ToggleGroup aria-label="Which checks">
                <ToggleGroupItem
                  text="All"
                  isSelected={show === 'all'}
                  onChange={() => setShow('all')}
                  data-testid="doctor-show-all"
                />
                <ToggleGroupItem
                  text="Problems"
                  isSelected={show === 'problems'}
                  onChange={() => setShow('problems')}
                  data-testid="doctor-show-problems"
                />
              </ToggleGroup>
            </FlexItem>
            <FlexItem>
              <Button variant="secondary" onClick={doctor.reload} data-testid="doctor-rerun">
                Run again
              </Button>
            </FlexItem>
          </Flex>
        </StackItem>
        <StackItem>{body}</StackItem>
      </Stack>
    </PageSection>
  );
}
