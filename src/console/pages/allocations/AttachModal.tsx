/**
 * The attach dialog: tenant, pool, consumer and VF settings; "Preview placement" asks the API
 * which VFs it would take and why (POST /placements); "Attach" does it (POST /attachments with an
 * Idempotency-Key, kept while the request is unchanged so a retry cannot attach twice). The API's
 * validation errors show under the fields they name. State and requests: useAttachDialog.ts.
 */
import { Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import type { AttachResult, Pool, Tenant } from '../../../contract/index.js';
import { ProblemAlert } from '../../components/states.js';
import { AttachFields } from './AttachFields.js';
import { OtherErrorsAlert, PreviewAlert } from './PlacementPreview.js';
import { useAttachDialog, type AttachDialog } from './useAttachDialog.js';

/** Attach, preview and cancel; both requests are disabled while one runs. */
function AttachButtons({ dialog, onClose }: { dialog: AttachDialog; onClose: () => void }) {
  const { busy } = dialog;
  return (
    <>
      <Button
        variant="primary"
        type="submit"
        form="attach-form"
        isLoading={busy === 'attach'}
        isDisabled={busy !== null}
        data-testid="attach-submit"
      >
        Attach
      </Button>
      <Button
        variant="secondary"
        onClick={() => void dialog.runPreview()}
        isLoading={busy === 'preview'}
        isDisabled={busy !== null}
        data-testid="attach-preview"
      >
        Preview placement
      </Button>
      <Button variant="link" onClick={onClose} data-testid="attach-cancel">
        Cancel
      </Button>
    </>
  );
}

export function AttachModal({
  tenants,
  pools,
  onClose,
  onAttached,
}: {
  tenants: Tenant[];
  pools: Pool[];
  onClose: () => void;
  onAttached: (r: AttachResult) => void;
}) {
  const dialog = useAttachDialog(tenants, onAttached);
  const { preview, problem, rest } = dialog;
  return (
    <Modal
      isOpen
      onClose={onClose}
      variant="large"
      aria-labelledby="attach-title"
      data-testid="attach-modal"
    >
      <ModalHeader
        title="Attach VFs"
        labelId="attach-title"
        description="Place VFs from a pool onto a consumer, configured and recorded."
      />
      <ModalBody>
        {preview && <PreviewAlert preview={preview} />}
        {problem && (
          <div style={{ marginBottom: '1rem' }}>
            <ProblemAlert error={problem} testId="attach-problem" />
          </div>
        )}
        {rest.length > 0 && <OtherErrorsAlert rest={rest} />}
        <Form
          onSubmit={(e) => {
            e.preventDefault();
            void dialog.attach();
          }}
          id="attach-form"
        >
          <AttachFields dialog={dialog} tenants={tenants} pools={pools} />
        </Form>
      </ModalBody>
      <ModalFooter>
        <AttachButtons dialog={dialog} onClose={onClose} />
      </ModalFooter>
    </Modal>
  );
}
