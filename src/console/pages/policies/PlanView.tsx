/**
 * A plan as the console shows it: the refusals (with the override that lifts each), the warnings
 * and notes, and the steps, disruptive ones highlighted with the consumers they hit and, once an
 * apply runs, each step's progress.
 */
import { Alert, Card, CardBody, CardTitle, Label, Stack } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { PlanAnswer } from '../../../contract/index.js';
import { Empty } from '../../components/states.js';
import { formatRanges } from '../../lib/format.js';
import { STEP_COLOR, type ApplyState } from './applyProgress.js';

type PlanStep = PlanAnswer['plan']['steps'][number];
type AffectedAttachment = PlanAnswer['affected'][number]['attachments'][number];

/** The "cannot be verified" and "disruptive" labels under a step's kind. */
function StepKind({ s, i }: { s: PlanStep; i: number }) {
  return (
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
  );
}

/** One step: what, why, which VFs, whose attachments it hits, and its progress during an apply. */
function StepRow(props: {
  s: PlanStep;
  i: number;
  hit: readonly AffectedAttachment[];
  apply: ApplyState | null;
}) {
  const { s, i, hit, apply } = props;
  const st = apply?.steps.get(i);
  return (
    <Tr
      className={s.disruptive ? 'sriov-disruptive' : ''}
      data-testid={`plan-step-${i}`}
      data-disruptive={s.disruptive ? 'true' : 'false'}
    >
      <Td dataLabel="#">{i + 1}</Td>
      <StepKind s={s} i={i} />
      <Td dataLabel="PF">{s.netdev ?? s.pf}</Td>
      <Td dataLabel="What">{s.what}</Td>
      <Td dataLabel="Why">
        {s.why}
        {typeof s.disruptive === 'string' && <div className="sriov-muted">{s.disruptive}</div>}
      </Td>
      <Td dataLabel="VFs">{s.vfs && s.vfs.length ? formatRanges(s.vfs) : '—'}</Td>
      <Td dataLabel="Affects" data-testid={`plan-affected-${i}`}>
        {hit.length === 0
          ? '—'
          : hit.map((a) => (
              <div key={a.id}>
                {a.tenant}: {a.consumer.kind} {a.consumer.name} {a.interface} (VF {a.vfIndex})
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
}

/** The plan's steps as a table. */
function StepsTable({ plan, apply }: { plan: PlanAnswer; apply: ApplyState | null }) {
  const affected = new Map(plan.affected.map((a) => [a.step, a.attachments]));
  return (
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
        {plan.plan.steps.map((s, i) => (
          <StepRow key={i} s={s} i={i} hit={affected.get(i) ?? []} apply={apply} />
        ))}
      </Tbody>
    </Table>
  );
}

/** Each refusal, naming the override that lifts it. */
function Refusals({ refusals }: { refusals: PlanAnswer['plan']['refusals'] }) {
  return refusals.map((r, i) => (
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
  ));
}

export function PlanView({
  plan,
  stale,
  apply,
}: {
  plan: PlanAnswer;
  stale: boolean;
  apply: ApplyState | null;
}) {
  const { steps, refusals, notes } = plan.plan;
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
          <Refusals refusals={refusals} />
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
            <StepsTable plan={plan} apply={apply} />
          )}
        </Stack>
      </CardBody>
    </Card>
  );
}
