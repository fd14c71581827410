/** Loading, empty and error states, the same on every page. */
import {
  Alert,
  Bullseye,
  Button,
  EmptyState,
  EmptyStateActions,
  EmptyStateBody,
  EmptyStateFooter,
  Spinner,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import type { ApiError } from '../lib/problem.js';

export function Loading({ what, testId = 'loading' }: { what: string; testId?: string }) {
  return (
    <Bullseye data-testid={testId} style={{ padding: '2rem' }}>
      <Spinner size="lg" aria-label={`Loading ${what}`} />
    </Bullseye>
  );
}

export function Empty({
  title,
  children,
  testId = 'empty',
}: {
  title: string;
  children?: ReactNode;
  testId?: string;
}) {
  return (
    <EmptyState titleText={title} headingLevel="h3" variant="sm" data-testid={testId}>
      {children && <EmptyStateBody>{children}</EmptyStateBody>}
    </EmptyState>
  );
}

/** The API's own explanation: title, detail and the fix when it gives one. */
export function ProblemAlert({
  error,
  testId = 'problem',
  onClose,
  variant = 'danger',
  isInline = true,
}: {
  error: ApiError;
  testId?: string;
  onClose?: () => void;
  variant?: 'danger' | 'warning';
  isInline?: boolean;
}) {
  const p = error.problem;
  return (
    <Alert
      variant={variant}
      isInline={isInline}
      title={p.status ? `${p.title} (${p.status})` : p.title}
      data-testid={testId}
      {...(onClose
        ? {
            actionClose: (
              <Button variant="plain" aria-label="Dismiss" onClick={onClose}>
                ×
              </Button>
            ),
          }
        : {})}
    >
      {p.detail && <p data-testid={`${testId}-detail`}>{p.detail}</p>}
      {p.fix && (
        <p data-testid={`${testId}-fix`}>
          <strong>Fix: </strong>
          {p.fix}
        </p>
      )}
    </Alert>
  );
}

/** A page-sized error with a retry. */
export function ErrorState({
  error,
  retry,
  testId = 'error-state',
}: {
  error: ApiError;
  retry?: () => void;
  testId?: string;
}) {
  return (
    <EmptyState
      titleText="Could not load this"
      headingLevel="h3"
      status="danger"
      variant="sm"
      data-testid={testId}
    >
      <EmptyStateBody>
        <ProblemAlert error={error} testId={`${testId}-problem`} />
      </EmptyStateBody>
      {retry && (
        <EmptyStateFooter>
          <EmptyStateActions>
            <Button variant="secondary" onClick={retry} data-testid={`${testId}-retry`}>
              Try again
            </Button>
          </EmptyStateActions>
        </EmptyStateFooter>
      )}
    </EmptyState>
  );
}
