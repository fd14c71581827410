/** Status labels with the colours PatternFly uses for them. */
import { Label } from '@patternfly/react-core';
import type { AttachmentState, CheckStatus } from '../../contract/index.js';

const CHECK_COLOR = { pass: 'green', info: 'blue', warn: 'orange', fail: 'red' } as const;

export function CheckLabel({ status, testId }: { status: CheckStatus; testId?: string }) {
  return (
    <Label color={CHECK_COLOR[status]} isCompact data-testid={testId} data-status={status}>
      {status}
    </Label>
  );
}

const STATE_COLOR = {
  attached: 'green',
  attaching: 'blue',
  detaching: 'blue',
  failed: 'red',
  orphaned: 'orange',
} as const;

export function StateLabel({ state, testId }: { state: AttachmentState; testId?: string }) {
  return (
    <Label color={STATE_COLOR[state]} isCompact data-testid={testId} data-state={state}>
      {state}
    </Label>
  );
}

/** A tri-state boolean from the kernel: on, off, or unknown (the driver does not report it). */
export function OnOff({ value }: { value: boolean | null | undefined }) {
  if (value === null || value === undefined) return <span className="sriov-muted">—</span>;
  return <span>{value ? 'on' : 'off'}</span>;
}
