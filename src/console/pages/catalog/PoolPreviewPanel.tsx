/** The live preview beside the pool form: how many VFs the selector takes now, on which PFs. */
import { Alert, List, ListItem, Spinner } from '@patternfly/react-core';
import type { PoolPreview } from '../../../contract/index.js';
import { ProblemAlert } from '../../components/states.js';
import type { DraftCheck } from './useDraftCheck.js';

export function PoolPreviewPanel({ check }: { check: DraftCheck<PoolPreview> }) {
  if (check.error) return <ProblemAlert error={check.error} testId="pool-preview-error" />;
  const shown = check.answer ?? check.last;
  if (!shown)
    return <Spinner size="md" aria-label="Matching VFs" data-testid="pool-preview-loading" />;
  const m = shown.matches;
  const stale = check.answer === null ? 'true' : 'false';
  if (!m)
    return (
      <Alert
        variant="info"
        isInline
        isPlain
        title="Preview"
        data-testid="pool-preview-idle"
        data-stale={stale}
      >
        Name PFs, PCI addresses, a vendor, a device ID or drivers (see the fields&apos; problems) to
        see the VFs they select.
      </Alert>
    );
  return (
    <Alert
      variant={m.total === 0 ? 'warning' : 'info'}
      isInline
      title={
        m.total === 0
          ? 'This selector matches no VF on this host now'
          : `Matches ${m.total} VF${m.total === 1 ? '' : 's'} on ${m.pfs.length} PF${m.pfs.length === 1 ? '' : 's'}`
      }
      data-testid="pool-preview"
      data-total={m.total}
      data-stale={stale}
    >
      {m.total === 0 ? (
        'Check the PF names and IDs on the Devices page; a PF with no VFs yet matches none.'
      ) : (
        <List isPlain>
          {m.pfs.map((p) => (
            <ListItem key={p.pf} data-testid={`pool-preview-pf-${p.pfNetdev ?? p.pf}`}>
              {p.pfNetdev ?? p.pf}: {p.count} VF{p.count === 1 ? '' : 's'} ({p.vfIndexes})
            </ListItem>
          ))}
        </List>
      )}
    </Alert>
  );
}
