/**
 * Create or edit a tenant: name, the pools it may take VFs from (from the existing pools), VLANs,
 * quotas and trust, checked as you type with PUT /tenants/{name}'s own schema.
 */
import {
  Button,
  Checkbox,
  Form,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useMemo, useState } from 'react';
import type { FormCheck, Pool, Tenant } from '../../../contract/index.js';
import { ProblemAlert } from '../../components/states.js';
import { formKeys, type FieldErrors } from '../../lib/form-fields.js';
import { useSession } from '../../state/session.js';
import { FormField } from './FormField.js';
import { tenantDraftOf, tenantFormFrom, tenantSpecOf, type TenantForm } from './tenantForm.js';
import { useDraftCheck } from './useDraftCheck.js';
import { useFormChecks } from './useFormChecks.js';
import { useSubmit } from './useSubmit.js';

type TextKey = 'name' | 'description' | 'vlans' | 'maxVfs' | 'maxGuaranteedMbps';

const TEXT_FIELDS: { k: TextKey; label: string; help: string; required?: boolean }[] = [
  { k: 'name', label: 'Name', help: 'e.g. team-a', required: true },
  { k: 'description', label: 'Description', help: '' },
  {
    k: 'vlans',
    label: 'VLANs',
    help: 'the VLAN IDs it may use, e.g. 100-199,300; 0 allows untagged',
    required: true,
  },
  { k: 'maxVfs', label: 'Max VFs', help: 'most VFs held at once; empty: no limit' },
  {
    k: 'maxGuaranteedMbps',
    label: 'Max guaranteed rate (Mbit/s)',
    help: 'most minimum tx rate held in total; empty: no limit',
  },
];

/** The pools as checkboxes: the tenant may take VFs from the checked ones. */
function PoolChoice({
  pools,
  chosen,
  onChange,
  error,
}: {
  pools: Pool[];
  chosen: string[];
  onChange: (names: string[]) => void;
  error: string | undefined;
}) {
  return (
    <FormField
      id="tenant-pools"
      label="Pools"
      error={error}
      help={
        pools.length === 0
          ? 'no pools yet: create one on the Pools tab first'
          : 'the pools it may take VFs from'
      }
    >
      {pools.map((p) => (
        <Checkbox
          key={p.name}
          id={`tenant-pool-${p.name}`}
          data-testid={`tenant-pool-${p.name}`}
          label={p.name}
          description={p.description}
          isChecked={chosen.includes(p.name)}
          onChange={(_e, on) =>
            onChange(on ? [...chosen, p.name] : chosen.filter((n) => n !== p.name))
          }
        />
      ))}
      {/* A pool deleted since: still listed, so saving does not drop it unseen. */}
      {chosen
        .filter((n) => !pools.some((p) => p.name === n))
        .map((n) => (
          <Checkbox
            key={n}
            id={`tenant-pool-${n}`}
            label={`${n} (no such pool)`}
            isChecked
            onChange={() => onChange(chosen.filter((x) => x !== n))}
          />
        ))}
    </FormField>
  );
}

export function TenantFormModal({
  tenant,
  pools,
  taken,
  onClose,
  onSaved,
}: {
  /** Absent: a new tenant. */
  tenant?: Tenant;
  /** The tenants there are: a new tenant must not take one's name (PUT would replace it). */
  taken: string[];
  pools: Pool[];
  onClose: () => void;
  onSaved: (t: Tenant) => void;
}) {
  const { api } = useSession();
  const [form, setForm] = useState<TenantForm>(() => tenantFormFrom(tenant));
  const draft = useMemo(() => tenantDraftOf(form), [form]);
  const check = useDraftCheck<FormCheck>('/tenants/check', draft);
  const local = useMemo<FieldErrors>(() => {
    const out = check.answer ? formKeys(check.answer.errors) : {};
    if (!tenant && taken.includes(draft.name))
      out.name = `there is a tenant ${draft.name} already: edit it in the list instead`;
    return out;
  }, [check.answer, tenant, taken, draft.name]);
  const checks = useFormChecks(local);
  const { busy, problem, submit } = useSubmit(checks);

  const set = <K extends keyof TenantForm>(k: K, v: TenantForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    checks.touch(k);
  };

  const save = async () => {
    checks.showAll();
    if (Object.keys(local).length > 0) return;
    await submit(
      () =>
        api<Tenant>('PUT', `/tenants/${encodeURIComponent(draft.name)}`, {
          body: tenantSpecOf(form),
        }),
      onSaved,
    );
  };

  return (
    <Modal
      isOpen
      onClose={onClose}
      variant="medium"
      aria-labelledby="tenant-form-title"
      data-testid="tenant-form"
    >
      <ModalHeader
        title={tenant ? `Edit tenant ${tenant.name}` : 'Create tenant'}
        labelId="tenant-form-title"
        description="A tenant takes VFs from its pools, within its VLANs and quotas."
      />
      <ModalBody>
        {problem && (
          <div style={{ marginBottom: '1rem' }}>
            <ProblemAlert error={problem} testId="tenant-form-problem" />
          </div>
        )}
        <Form
          id="tenant-form-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {TEXT_FIELDS.map(({ k, label, help, required }) => (
            <FormField
              key={k}
              id={`tenant-${k}`}
              label={label}
              error={checks.errorOf(k)}
              help={help}
              isRequired={required ?? false}
            >
              <TextInput
                id={`tenant-${k}`}
                data-testid={`tenant-${k}`}
                value={form[k]}
                isDisabled={k === 'name' && tenant !== undefined}
                inputMode={k.startsWith('max') ? 'numeric' : undefined}
                validated={checks.errorOf(k) ? 'error' : 'default'}
                onChange={(_e, v) => set(k, v)}
              />
            </FormField>
          ))}
          <PoolChoice
            pools={pools}
            chosen={form.pools}
            onChange={(v) => set('pools', v)}
            error={checks.errorOf('pools')}
          />
          <FormField id="tenant-allowTrust" label="Trust" error={checks.errorOf('allowTrust')}>
            <Checkbox
              id="tenant-allowTrust"
              data-testid="tenant-allowTrust"
              label="Attachments may set trust (and so turn spoof checking off)"
              isChecked={form.allowTrust}
              onChange={(_e, on) => set('allowTrust', on)}
            />
          </FormField>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button
          variant="primary"
          type="submit"
          form="tenant-form-form"
          isLoading={busy}
          isDisabled={busy}
          data-testid="tenant-form-submit"
        >
          {tenant ? 'Save' : 'Create'}
        </Button>
        <Button variant="link" onClick={onClose} data-testid="tenant-form-cancel">
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
