/**
 * Policies: paste or upload policy YAML, plan it (POST /policies/plan: steps, disruptive ones
 * highlighted with the consumers they hit), then confirm to apply (POST /policies/apply) and follow
 * the steps live from the event stream's `apply.step` and `apply.done` events. The state and
 * requests live in policies/usePolicyPage.ts; each section in a component of its own.
 */
import { PageSection, Stack, StackItem, Title } from '@patternfly/react-core';
import { ApplyCard } from './policies/ApplyCard.js';
import { PlanView } from './policies/PlanView.js';
import { PolicyErrors, PolicyForm } from './policies/PolicyForm.js';
import { usePolicyPage } from './policies/usePolicyPage.js';

export function PoliciesPage() {
  const page = usePolicyPage();
  const { plan, error, busy, applying } = page;
  return (
    <PageSection data-testid="page-policies">
      <Stack hasGutter>
        <StackItem>
          <Title headingLevel="h1">Policies</Title>
        </StackItem>
        <StackItem>
          <PolicyForm
            input={page}
            canPlan={!!page.text.trim() && busy === null && !applying}
            planning={busy === 'plan'}
            onPlan={() => void page.runPlan()}
          />
        </StackItem>
        {error && (
          <StackItem>
            <PolicyErrors error={error} />
          </StackItem>
        )}
        {plan && (
          <StackItem>
            <PlanView plan={plan} stale={page.stale} apply={page.apply} />
          </StackItem>
        )}
        {plan && plan.plan.steps.length > 0 && plan.plan.refusals.length === 0 && (
          <StackItem>
            <ApplyCard page={page} plan={plan} />
          </StackItem>
        )}
      </Stack>
    </PageSection>
  );
}
