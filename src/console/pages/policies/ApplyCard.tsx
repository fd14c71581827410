/**
 * The apply card: refused while the plan is stale, the disruptive steps confirmed first, and the
 * apply followed step by step until its result.
 */
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Checkbox,
  Label,
  List,
  ListItem,
  Progress,
  ProgressMeasureLocation,
  ProgressVariant,
  Stack,
} from '@patternfly/react-core';
import type { PlanAnswer } from '../../../contract/index.js';
import { readBackLines, STEP_COLOR, type ApplyState } from './applyProgress.js';
import type { PolicyPage } from './usePolicyPage.js';

const READ_BACK_COLOR = { success: 'green', danger: 'red', warning: 'orange' } as const;
const READ_BACK_WORD = { success: 'verified', danger: 'differs', warning: 'unknown' } as const;

/** The apply's result: failed, applied with settings that cannot be verified, or applied. */
function ApplyResult({ done }: { done: NonNullable<ApplyState['done']> }) {
  return (
    <Alert
      variant={!done.ok ? 'danger' : done.unverifiedSettings ? 'warning' : 'success'}
      isInline
      title={
        !done.ok
          ? 'The apply failed'
          : done.unverifiedSettings
            ? 'The policy is applied; some settings cannot be verified'
            : 'The policy is applied'
      }
      data-testid="apply-result"
      data-ok={done.ok ? 'true' : 'false'}
    >
      <p data-testid="apply-result-message">{done.message}</p>
      {done.hint && (
        <p>
          <strong>Fix: </strong>
          {done.hint}
        </p>
      )}
      {done.readBack && (
        <List isPlain data-testid="apply-read-back" aria-label="Read back after the apply">
          {readBackLines(done.readBack).map((l) => (
            <ListItem key={l.text} data-tone={l.tone}>
              <Label isCompact color={READ_BACK_COLOR[l.tone]}>
                {READ_BACK_WORD[l.tone]}
              </Label>{' '}
              {l.text}
            </ListItem>
          ))}
        </List>
      )}
    </Alert>
  );
}

/** The apply's progress bar and its steps as they finish. */
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
      {apply.done && <ApplyResult done={apply.done} />}
    </Stack>
  );
}

/** The apply card for a plan with steps and no refusals. */
export function ApplyCard({ page, plan }: { page: PolicyPage; plan: PlanAnswer }) {
  const { stale, busy, applying, confirmed, apply } = page;
  const disruptive = plan.plan.steps.filter((s) => s.disruptive);
  return (
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
              onChange={(_e, v) => page.setConfirmed(v)}
              data-testid="policy-confirm-disruptive"
            />
          )}
          <div>
            <Button
              variant={disruptive.length > 0 ? 'danger' : 'primary'}
              onClick={() => void page.runApply()}
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
  );
}
