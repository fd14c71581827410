/**
 * Create or edit a pool: name, description, the VF driver and the selector, checked as you type
 * with PUT /pools/{name}'s own schema, and a live preview of the VFs the selector matches.
 */
import {
  Button,
  Form,
  FormSelect,
  FormSelectOption,
  Grid,
  GridItem,
  HelperText,
  HelperTextItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useMemo, useState } from 'react';
import type { Pool, PoolPreview } from '../../../contract/index.js';
import { ProblemAlert } from '../../components/states.js';
import { formKeys, type FieldErrors } from '../../lib/form-fields.js';
import { useSession } from '../../state/session.js';
import { FormField } from './FormField.js';
import {
  poolDraftOf,
  poolFormFrom,
  poolSpecOf,
  type PoolForm,
  type SelectorKey,
} from './poolForm.js';
import { PoolPreviewPanel } from './PoolPreviewPanel.js';
import { useDraftCheck } from './useDraftCheck.js';
import { useFormChecks } from './useFormChecks.js';
import { useSubmit } from './useSubmit.js';

const SELECTOR_FIELDS: { k: SelectorKey; label: string; help: string; placeholder: string }[] = [
  {
    k: 'pfNames',
    label: 'PF names',
    help: 'space-separated; a VF range after # takes only those VFs',
    placeholder: 'ens1f0 ens1f1#0-7,12',
  },
  {
    k: 'pciAddresses',
    label: 'PF PCI addresses',
    help: 'space- or comma-separated',
    placeholder: '0000:3b:00.0',
  },
  { k: 'vendor', label: 'Vendor ID', help: '4 hex digits', placeholder: '8086 (Intel)' },
  { k: 'deviceID', label: 'Device ID', help: "the PF's, 4 hex digits", placeholder: '1592' },
  { k: 'drivers', label: 'PF drivers', help: 'space- or comma-separated', placeholder: 'ice' },
  {
    k: 'vfRange',
    label: 'VF range',
    help: 'VF indexes on every selected PF; empty: all',
    placeholder: '0-31',
  },
];

export function PoolFormModal({
  pool,
  taken,
  onClose,
  onSaved,
}: {
  /** Absent: a new pool. */
  pool?: Pool;
  /** The pools there are: a new pool must not take one's name (PUT would replace it). */
  taken: string[];
  onClose: () => void;
  onSaved: (p: Pool) => void;
}) {
  const { api } = useSession();
  const [form, setForm] = useState<PoolForm>(() => poolFormFrom(pool));
  const draft = useMemo(() => poolDraftOf(form), [form]);
  const check = useDraftCheck<PoolPreview>('/pools/preview', draft);
  const local = useMemo<FieldErrors>(() => {
    const out = check.answer ? formKeys(check.answer.errors) : {};
    if (!pool && taken.includes(draft.name))
      out.name = `there is a pool ${draft.name} already: edit it in the list instead`;
    return out;
  }, [check.answer, pool, taken, draft.name]);
  const checks = useFormChecks(local);
  const { busy, problem, submit } = useSubmit(checks);

  const set = <K extends keyof PoolForm>(k: K, v: PoolForm[K], key: string) => {
    setForm((f) => ({ ...f, [k]: v }));
    checks.touch(key);
  };

  const save = async () => {
    checks.showAll();
    if (Object.keys(local).length > 0) return;
    await submit(
      () =>
        api<Pool>('PUT', `/pools/${encodeURIComponent(draft.name)}`, {
          body: poolSpecOf(form),
        }),
      onSaved,
    );
  };

  const selectorError = checks.errorOf('selector');
  return (
    <Modal
      isOpen
      onClose={onClose}
      variant="large"
      aria-labelledby="pool-form-title"
      data-testid="pool-form"
    >
      <ModalHeader
        title={pool ? `Edit pool ${pool.name}` : 'Create pool'}
        labelId="pool-form-title"
        description="A pool selects the VFs tenants may take, and the driver they are on."
      />
      <ModalBody>
        {problem && (
          <div style={{ marginBottom: '1rem' }}>
            <ProblemAlert error={problem} testId="pool-form-problem" />
          </div>
        )}
        <Grid hasGutter>
          <GridItem md={7}>
            <Form
              id="pool-form-form"
              isHorizontal
              onSubmit={(e) => {
                e.preventDefault();
                void save();
              }}
            >
              <FormField
                id="pool-name"
                label="Name"
                error={checks.errorOf('name')}
                isRequired
                help="e.g. e810-vms"
              >
                <TextInput
                  id="pool-name"
                  data-testid="pool-name"
                  value={form.name}
                  isDisabled={pool !== undefined}
                  validated={checks.errorOf('name') ? 'error' : 'default'}
                  onChange={(_e, v) => set('name', v, 'name')}
                />
              </FormField>
              <FormField
                id="pool-description"
                label="Description"
                error={checks.errorOf('description')}
              >
                <TextInput
                  id="pool-description"
                  data-testid="pool-description"
                  value={form.description}
                  onChange={(_e, v) => set('description', v, 'description')}
                />
              </FormField>
              <FormField
                id="pool-vfDriver"
                label="VF driver"
                error={checks.errorOf('vfDriver')}
                help="vfio-pci for VMs and DPDK; host for containers and processes"
              >
                <FormSelect
                  id="pool-vfDriver"
                  data-testid="pool-vfDriver"
                  value={form.vfDriver}
                  onChange={(_e, v) =>
                    set('vfDriver', v === 'host' ? 'host' : 'vfio-pci', 'vfDriver')
                  }
                >
                  <FormSelectOption value="vfio-pci" label="vfio-pci" />
                  <FormSelectOption value="host" label="host (the VF's own driver)" />
                </FormSelect>
              </FormField>
              {SELECTOR_FIELDS.map(({ k, label, help, placeholder }) => {
                const key = `selector.${k}`;
                const error = checks.errorOf(key);
                return (
                  <FormField key={k} id={`pool-${k}`} label={label} error={error} help={help}>
                    <TextInput
                      id={`pool-${k}`}
                      data-testid={`pool-${k}`}
                      value={form[k]}
                      placeholder={`e.g. ${placeholder}`}
                      validated={error ? 'error' : 'default'}
                      onChange={(_e, v) => {
                        set(k, v, key);
                        checks.touch('selector');
                      }}
                    />
                  </FormField>
                );
              })}
              {selectorError && (
                <HelperText>
                  <HelperTextItem variant="error" data-testid="pool-selector-error">
                    Selector: {selectorError}
                  </HelperTextItem>
                </HelperText>
              )}
            </Form>
          </GridItem>
          <GridItem md={5} style={{ position: 'sticky', top: 0, alignSelf: 'start' }}>
            <PoolPreviewPanel check={check} />
          </GridItem>
        </Grid>
      </ModalBody>
      <ModalFooter>
        <Button
          variant="primary"
          type="submit"
          form="pool-form-form"
          isLoading={busy}
          isDisabled={busy}
          data-testid="pool-form-submit"
        >
          {pool ? 'Save' : 'Create'}
        </Button>
        <Button variant="link" onClick={onClose} data-testid="pool-form-cancel">
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
