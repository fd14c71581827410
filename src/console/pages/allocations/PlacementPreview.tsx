/**
 * What the attach dialog shows above its fields: the placement preview (which VFs and why, or why
 * it would be refused), and the API's errors that fit no field.
 */
import { Alert, List, ListItem } from '@patternfly/react-core';
import type { PlacementExplanation, PlacementPreview } from '../../../contract/index.js';

/** How placement narrowed a pool to its candidates, in one sentence. */
export function Explanation({ e, testId }: { e: PlacementExplanation; testId: string }) {
  return (
    <div data-testid={testId}>
      Pool has {e.poolVfs} VF{e.poolVfs === 1 ? '' : 's'};{' '}
      {e.excluded.length === 0
        ? 'no rule excluded any'
        : e.excluded.map((x) => `${x.count} excluded by ${x.rule}`).join(', ')}
      ; {e.candidates} candidate{e.candidates === 1 ? '' : 's'} left; strategy {e.strategy}.
    </div>
  );
}

/** The placement preview: the VFs it would take and why, or why it would be refused and the fix. */
export function PreviewAlert({ preview }: { preview: PlacementPreview }) {
  return (
    <Alert
      variant={preview.ok ? 'info' : 'warning'}
      isInline
      title={preview.ok ? 'Placement preview' : 'The placement would be refused'}
      data-testid="attach-preview-result"
      data-ok={preview.ok ? 'true' : 'false'}
      style={{ marginBottom: '1rem' }}
    >
      {preview.reason && <p data-testid="attach-preview-reason">{preview.reason}</p>}
      {preview.fix && <p data-testid="attach-preview-fix">Fix: {preview.fix}</p>}
      {preview.choices.length > 0 && (
        <List>
          {preview.choices.map((c) => (
            <ListItem key={`${c.pf}#${c.vfIndex}`} data-testid="attach-preview-choice">
              {c.pfNetdev ?? c.pf} VF {c.vfIndex} (NUMA {c.numaNode}): {c.why}
            </ListItem>
          ))}
        </List>
      )}
      {preview.placement && (
        <Explanation e={preview.placement} testId="attach-preview-explanation" />
      )}
    </Alert>
  );
}

/** The API's validation errors that name no field of the dialog. */
export function OtherErrorsAlert({ rest }: { rest: { field: string; message: string }[] }) {
  return (
    <Alert
      variant="danger"
      isInline
      title="Also wrong"
      data-testid="attach-other-errors"
      style={{ marginBottom: '1rem' }}
    >
      <List>
        {rest.map((r) => (
          <ListItem key={r.field}>
            {r.field}: {r.message}
          </ListItem>
        ))}
      </List>
    </Alert>
  );
}
