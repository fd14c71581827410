/** "Delete this …?" with the API's refusal (a tenant that holds VFs, a pool in use) shown in place. */
import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { useState, type ReactNode } from 'react';
import { ProblemAlert } from '../../components/states.js';
import type { ApiError } from '../../lib/problem.js';
import { asApiError } from '../../state/useApi.js';

export function DeleteModal({
  title,
  testId,
  action = 'Delete',
  children,
  run,
  onClose,
  onDone,
}: {
  title: string;
  testId: string;
  action?: string;
  children: ReactNode;
  run: () => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiError | null>(null);
  const go = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await run();
      onDone();
    } catch (err) {
      setProblem(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      isOpen
      variant="small"
      onClose={onClose}
      aria-labelledby={`${testId}-title`}
      data-testid={testId}
    >
      <ModalHeader title={title} labelId={`${testId}-title`} titleIconVariant="warning" />
      <ModalBody>
        {children}
        {problem && <ProblemAlert error={problem} testId={`${testId}-problem`} />}
      </ModalBody>
      <ModalFooter>
        <Button
          variant="danger"
          onClick={() => void go()}
          isLoading={busy}
          isDisabled={busy}
          data-testid={`${testId}-confirm`}
        >
          {action}
        </Button>
        <Button variant="link" onClick={onClose} data-testid={`${testId}-cancel`}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
