/**
 * Policies: paste or upload policy YAML, plan it (POST /policies/plan: steps, disruptive ones
 * highlighted with the consumers they hit), then confirm to apply (POST /policies/apply) and follow
 * the steps live from the event stream's `apply.step` and `apply.done` events.
 */
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Checkbox,
  Flex,
  FlexItem,
  Form,
  FormGroup,
  Label,
  List,
  ListItem,
  PageSection,
  Progress,
  ProgressMeasureLocation,
  ProgressVariant,
  Stack,
  StackItem,
  TextArea,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useRef, useState } from 'react';
import type {
  ApplyDoneData,
  ApplyStepData,
  DaemonEvent,
  PlanAnswer,
} from '../../contract/index.js';
import { Empty, ProblemAlert } from '../components/states.js';
import { formatRanges } from '../lib/format.js';
import type { ApiError } from '../lib/problem.js';
import { useEventListener } from '../state/live.js';
import { useSession } from '../state/session.js';
import { asApiError } from '../state/useApi.js';

interface ApplyState {
  operation: string | null;
  steps: Map<number, ApplyStepData>;
  total: number;
  /** What the console shows of apply.done, with the event's message. */
  done:
    | (Pick<ApplyDoneData, 'operation' | 'ok' | 'error' | 'hint' | 'unverifiedSettings'> & {
        message: string;
      })
    | null;
}

const STEP_COLOR = { start: 'blue', done: 'green', failed: 'red', skipped: 'grey' } as const;

/** Whether a policy error's field names a place in the text (`text:LINE:COL spec.x`). */
function where(field: string): string {
  const m = /^(?:body\.)?text:(\d+):(\d+)\s*(.*)$/.exec(field);
  return m
    ? `line ${m[1]}, column ${m[2]}${m[3] ? ` (${m[3]})` : ''}`
    : field.replace(/^body\./, '');
}

export function PoliciesPage() {
  const { api } = useSession();
  const [text, setText] = useState('');
  const [filename, setFilename] = useState('');
  const [allowDefaultRoute, setAllowDefaultRoute] = useState(false);
  const [force, setForce] = useState(false);
  const [plan, setPlan] = useState<PlanAnswer | null>(null);
  const [planned, setPlanned] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'plan' | 'apply' | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [apply, setApply] = useState<ApplyState | null>(null);
  // Events can arrive before the POST answers with the operation id: keep them until it does.
  const pending = useRef<DaemonEvent[] | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const onEvent = (e: DaemonEvent) => {
    if (!e.kind.startsWith('apply.')) return;
    if (pending.current) {
      pending.current.push(e);
      return;
    }
    setApply((s) => (s ? reduce(s, e) : s));
  };
  useEventListener(onEvent);

  const stale = planned !== null && planned !== JSON.stringify({ text, allowDefaultRoute, force });
  const disruptive = plan?.plan.steps.filter((s) => s.disruptive) ?? [];
  const applying = apply !== null && apply.done === null;

  const runPlan = async () => {
    setBusy('plan');
    setError(null);
    setApply(null);
    setConfirmed(false);
    try {
      const r = await api<PlanAnswer>('POST', '/policies/plan', {
        body: { text, allowDefaultRoute, force },
      });
      setPlan(r);
      setPlanned(JSON.stringify({ text, allowDefaultRoute, force }));
    } catch (err) {
      setPlan(null);
      setPlanned(null);
      setError(asApiError(err));
    } finally {
      setBusy(null);
    }
  };

  const runApply = async () => {
    setBusy('apply');
    setError(null);
    pending.current = [];
    try {
      const r = await api<{ operation: string; total?: number }>('POST', '/policies/apply', {
        body: { text, confirmDisruptive: confirmed, allowDefaultRoute, force },
      });
      let s: ApplyState = {
        operation: r.operation,
        steps: new Map(),
        total: r.total ?? 0,
        done: null,
      };
      for (const e of pending.current) s = reduce(s, e);
      setApply(s);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      pending.current = null;
      setBusy(null);
    }
  };

  return (
    <PageSection data-testid="page-policies">
      <Stack hasGutter>
        <StackItem>
          <Title headingLevel="h1">Policies</Title>
        </StackItem>
        <StackItem>
          <Card>
            <CardBody>
              <Form
                onSubmit={(e) => {
                  e.preventDefault();
                  void runPlan();
                }}
              >
                <FormGroup
                  label="Policy (YAML or JSON; several documents separated by ---)"
                  fieldId="policy-text"
                >
                  <Flex
                    alignItems={{ default: 'alignItemsCenter' }}
                    style={{ marginBottom: '0.5rem' }}
                  >
                    <FlexItem>
                      <Button
                        variant="secondary"
                        size="sm"
                        onClick={() => fileInput.current?.click()}
                        data-testid="policy-upload"
                      >
                        Upload a file…
                      </Button>
                      <input
                        ref={fileInput}
                        type="file"
                        accept=".yaml,.yml,.json,text/yaml,application/json"
                        hidden
                        data-testid="policy-file"
                        aria-label="Policy file"
                        onChange={(e) => {
                          const f = e.target.files?.[0];
                          if (!f) return;
                          void f.text().then((t) => {
                            setText(t);
                            setFilename(f.name);
                          });
                          e.target.value = '';
                        }}
                      />
                    </FlexItem>
                    {filename && (
                      <FlexItem className="sriov-muted" data-testid="policy-filename">
                        {filename}
                      </FlexItem>
                    )}
                  </Flex>
                  <TextArea
                    id="policy-text"
                    value={text}
                    onChange={(_e, v) => setText(v)}
                    rows={14}
                    resizeOrientation="vertical"
                    className="sriov-mono"
                    placeholder={
                      'apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: … }\nspec: …'
                    }
                    aria-label="Policy text"
                    data-testid="policy-text"
                    spellCheck={false}
                  />
                </FormGroup>
                <Checkbox
                  id="policy-allow-default-route"
                  label="Allow changes to the PF that carries the default route"
                  isChecked={allowDefaultRoute}
                  onChange={(_e, v) => setAllowDefaultRoute(v)}
                  data-testid="policy-allow-default-route"
                />
                <Checkbox
                  id="policy-force"
                  label="Force (override the other refusals)"
                  isChecked={force}
                  onChange={(_e, v) => setForce(v)}
                  data-testid="policy-force"
                />
                <ActionGroup>
                  <Button
                    type="submit"
                    variant="primary"
                    isDisabled={!text.trim() || busy !== null || applying}
                    isLoading={busy === 'plan'}
                    data-testid="policy-plan"
                  >
                    Plan
                  </Button>
                </ActionGroup>
              </Form>
            </CardBody>
          </Card>
        </StackItem>
        {error && (
          <StackItem>
            <ProblemAlert error={error} testId="policy-problem" />
            {error.problem.errors && error.problem.errors.length > 0 && (
              <Alert
                variant="danger"
                isInline
                title="Problems in the policy"
                data-testid="policy-errors"
                style={{ marginTop: '0.5rem' }}
              >
                <List>
                  {error.problem.errors.map((e, i) => (
                    <ListItem key={i} data-testid="policy-error" data-field={e.field}>
                      <strong>{where(e.field)}</strong>: {e.message}
                    </ListItem>
                  ))}
                </List>
              </Alert>
            )}
          </StackItem>
        )}
        {plan && (
          <StackItem>
            <PlanView plan={plan} stale={stale} apply={apply} />
          </StackItem>
        )}
        {plan && plan.plan.steps.length > 0 && plan.plan.refusals.length === 0 && (
          <StackItem>
            <Card data-testid="policy-apply-card">
              <CardTitle>Apply</CardTitle>
              <CardBody>
                <Stack hasGutter>
                  {stale && (
                    <Alert
                      variant="warning"
                      isInline
                      title="The policy changed since it was planned: plan again before applying."
                      data-testid="policy-stale"
                    />
                  )}
                  {disruptive.length > 0 && (
                    <Checkbox
                      id="policy-confirm-disruptive"
                      label={`I understand that ${disruptive.length} disruptive step${disruptive.length === 1 ? '' : 's'} will interrupt traffic${
                        plan.affected.some((a) => a.attachments.length > 0)
                          ? ' of the consumers listed above'
                          : ''
                      }`}
                      isChecked={confirmed}
                      onChange={(_e, v) => setConfirmed(v)}
                      data-testid="policy-confirm-disruptive"
                    />
                  )}
                  <div>
                    <Button
                      variant={disruptive.length > 0 ? 'danger' : 'primary'}
                      onClick={() => void runApply()}
                      isDisabled={
                        stale || busy !== null || applying || (disruptive.length > 0 && !confirmed)
                      }
                      isLoading={busy === 'apply' || applying}
                      data-testid="policy-apply"
                    >
                      {applying ? 'Applying…' : 'Apply'}
                    </Button>
                  </div>
                  {apply && <ApplyView apply={apply} />}
                </Stack>
              </CardBody>
            </Card>
          </StackItem>
        )}
      </Stack>
    </PageSection>
  );
}

function reduce(s: ApplyState, e: DaemonEvent): ApplyState {
  const d = e.data as Partial<ApplyStepData & ApplyDoneData>;
  if (d.operation !== s.operation) return s;
  if (e.kind === 'apply.start')
    return { ...s, total: typeof d.total === 'number' ? d.total : s.total };
  if (e.kind === 'apply.done')
    return {
      ...s,
      done: {
        operation: d.operation,
        ok: d.ok === true,
        message: e.message,
        ...(d.error ? { error: d.error } : {}),
        ...(d.hint ? { hint: d.hint } : {}),
        ...(typeof d.unverifiedSettings === 'number' && d.unverifiedSettings > 0
          ? { unverifiedSettings: d.unverifiedSettings }
          : {}),
      },
    };
  if (e.kind !== 'apply.step' || typeof d.index !== 'number') return s;
  const steps = new Map(s.steps);
  steps.set(d.index, d as ApplyStepData);
  return { ...s, steps, total: Math.max(s.total, d.total ?? 0) };
}

function PlanView({
  plan,
  stale,
  apply,
}: {
  plan: PlanAnswer;
  stale: boolean;
  apply: ApplyState | null;
}) {
  const { steps, refusals, notes } = plan.plan;
  const affected = new Map(plan.affected.map((a) => [a.step, a.attachments]));
  return (
    <Card data-testid="plan-result" data-stale={stale ? 'true' : 'false'}>
      <CardTitle>
        Plan: {steps.length} step{steps.length === 1 ? '' : 's'}
        {steps.some((s) => s.disruptive) && (
          <>
            {' '}
            <Label color="red" isCompact data-testid="plan-disruptive-count">
              {steps.filter((s) => s.disruptive).length} disruptive
            </Label>
          </>
        )}
      </CardTitle>
      <CardBody>
        <Stack hasGutter>
          {refusals.map((r, i) => (
            <Alert
              key={i}
              variant="danger"
              isInline
              title={`Refused on ${r.pf}`}
              data-testid="plan-refusal"
            >
              {r.reason} To go ahead anyway, tick &quot;
              {r.override === 'allowDefaultRoute'
                ? 'Allow changes to the PF that carries the default route'
                : 'Force'}
              &quot; and plan again.
            </Alert>
          ))}
          {[...plan.warnings, ...notes].map((w, i) => (
            <Alert
              key={`w${i}`}
              variant="warning"
              isInline
              isPlain
              title={w}
              data-testid="plan-warning"
            />
          ))}
          {steps.length === 0 ? (
            <Empty title="Nothing to do" testId="plan-empty">
              The host already matches the policy.
            </Empty>
          ) : (
            <Table aria-label="Plan steps" variant="compact" data-testid="plan-steps">
              <Thead>
                <Tr>
                  <Th>#</Th>
                  <Th>Step</Th>
                  <Th>PF</Th>
                  <Th>What</Th>
                  <Th>Why</Th>
                  <Th>VFs</Th>
                  <Th>Affects</Th>
                  {apply && <Th>Progress</Th>}
                </Tr>
              </Thead>
              <Tbody>
                {steps.map((s, i) => {
                  const hit = affected.get(i) ?? [];
                  const st = apply?.steps.get(i);
                  return (
                    <Tr
                      key={i}
                      className={s.disruptive ? 'sriov-disruptive' : ''}
                      data-testid={`plan-step-${i}`}
                      data-disruptive={s.disruptive ? 'true' : 'false'}
                    >
                      <Td dataLabel="#">{i + 1}</Td>
                      <Td dataLabel="Step">
                        {s.kind}
                        {s.basis === 'unknown' && (
                          <div>
                            <Label
                              color="orange"
                              isCompact
                              title="The kernel does not report these VFs' settings: set without comparing, and they cannot be read back"
                              data-testid={`plan-unverifiable-${i}`}
                            >
                              cannot be verified
                            </Label>
                          </div>
                        )}
                        {s.disruptive && (
                          <div>
                            <Label
                              color="red"
                              isCompact
                              title={typeof s.disruptive === 'string' ? s.disruptive : undefined}
                            >
                              disruptive
                            </Label>
                          </div>
                        )}
                      </Td>
                      <Td dataLabel="PF">{s.netdev ?? s.pf}</Td>
                      <Td dataLabel="What">{s.what}</Td>
                      <Td dataLabel="Why">
                        {s.why}
                        {typeof s.disruptive === 'string' && (
                          <div className="sriov-muted">{s.disruptive}</div>
                        )}
                      </Td>
                      <Td dataLabel="VFs">{s.vfs && s.vfs.length ? formatRanges(s.vfs) : '—'}</Td>
                      <Td dataLabel="Affects" data-testid={`plan-affected-${i}`}>
                        {hit.length === 0
                          ? '—'
                          : hit.map((a) => (
                              <div key={a.id}>
                                {a.tenant}: {a.consumer.kind} {a.consumer.name} {a.interface} (VF{' '}
                                {a.vfIndex})
                              </div>
                            ))}
                      </Td>
                      {apply && (
                        <Td dataLabel="Progress">
                          {st ? (
                            <Label isCompact color={STEP_COLOR[st.status]}>
                              {st.status}
                            </Label>
                          ) : (
                            <span className="sriov-muted">pending</span>
                          )}
                        </Td>
                      )}
                    </Tr>
                  );
                })}
              </Tbody>
            </Table>
          )}
        </Stack>
      </CardBody>
    </Card>
  );
}

function ApplyView({ apply }: { apply: ApplyState }) {
  const steps = [...apply.steps.values()].sort((a, b) => a.index - b.index);
  const finished = steps.filter((s) => s.status !== 'start').length;
  const failed = steps.some((s) => s.status === 'failed') || apply.done?.ok === false;
  return (
    <Stack hasGutter data-testid="apply-progress" data-operation={apply.operation ?? ''}>
      <Progress
        value={apply.done?.ok ? 100 : apply.total ? (finished / apply.total) * 100 : 0}
        title={apply.done ? 'Finished' : 'Applying'}
        label={`${finished} of ${apply.total || '?'} steps`}
        measureLocation={ProgressMeasureLocation.outside}
        {...(failed
          ? { variant: ProgressVariant.danger }
          : apply.done?.ok
            ? { variant: ProgressVariant.success }
            : {})}
        aria-label="Apply progress"
      />
      <List isPlain>
        {steps.map((s) => (
          <ListItem key={s.index} data-testid="apply-step" data-status={s.status}>
            <Label isCompact color={STEP_COLOR[s.status]}>
              {s.status}
            </Label>{' '}
            {s.index + 1}. {s.what}
            {s.error && <div className="sriov-muted">{s.error}</div>}
          </ListItem>
        ))}
      </List>
      {apply.done && (
        <Alert
          variant={
            !apply.done.ok ? 'danger' : apply.done.unverifiedSettings ? 'warning' : 'success'
          }
          isInline
          title={
            !apply.done.ok
              ? 'The apply failed'
              : apply.done.unverifiedSettings
                ? 'The policy is applied; some settings cannot be verified'
                : 'The policy is applied'
          }
          data-testid="apply-result"
          data-ok={apply.done.ok ? 'true' : 'false'}
        >
          <p data-testid="apply-result-message">{apply.done.message}</p>
          {apply.done.hint && (
            <p>
              <strong>Fix: </strong>
              {apply.done.hint}
            </p>
          )}
        </Alert>
      )}
    </Stack>
  );
}
