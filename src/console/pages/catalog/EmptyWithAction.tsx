/** An empty list that offers the action that fills it (for those who may take it). */
import {
  Button,
  EmptyState,
  EmptyStateActions,
  EmptyStateBody,
  EmptyStateFooter,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';

export function EmptyWithAction({
  title,
  testId,
  children,
  action,
}: {
  title: string;
  testId: string;
  children: ReactNode;
  /** Absent: the caller may not take it, the body says who can. */
  action?: { label: string; onClick: () => void; testId: string };
}) {
  return (
    <EmptyState titleText={title} headingLevel="h3" variant="sm" data-testid={testId}>
      <EmptyStateBody>{children}</EmptyStateBody>
      {action && (
        <EmptyStateFooter>
          <EmptyStateActions>
            <Button variant="primary" onClick={action.onClick} data-testid={action.testId}>
              {action.label}
            </Button>
          </EmptyStateActions>
        </EmptyStateFooter>
      )}
    </EmptyState>
  );
}
