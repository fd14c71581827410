/**
 * Create a token: name, role, and the tenant a tenant-scoped token is confined to. The answer's
 * secret is shown once, with a copy button: the API keeps only its hash.
 */
import {
  Alert,
  Button,
  ClipboardCopy,
  Form,
  FormSelect,
  FormSelectOption,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useState } from 'react';
import type { CreatedToken, Role, Tenant } from '../../../contract/index.js';
import { ProblemAlert } from '../../components/states.js';
import { formKeys } from '../../lib/form-fields.js';
import { useSession } from '../../state/session.js';
import { FormField } from '../catalog/FormField.js';
import { useSubmit } from '../catalog/useSubmit.js';

const ROLES: { role: Role; label: string }[] = [
  { role: 'viewer', label: 'viewer: reads' },
  { role: 'operator', label: 'operator: attaches and detaches' },
  { role: 'admin', label: 'admin: everything (host-wide only)' },
];

/** The secret, once: copy it now, it is not shown again. */
function SecretShownOnce({ created }: { created: CreatedToken }) {
  return (
    <>
      <Alert
        variant="warning"
        isInline
        title="Copy this secret now: it will not be shown again"
        data-testid="token-secret-warning"
      >
        sriovctl keeps only its hash. Whoever holds it acts as {created.token.name} (
        {created.token.role}
        {created.token.tenant ? `, tenant ${created.token.tenant}` : ', host-wide'}). If it is lost,
        revoke the token and create another.
      </Alert>
      <div style={{ marginTop: '1rem' }}>
        <ClipboardCopy
          isReadOnly
          hoverTip="Copy"
          clickTip="Copied"
          data-testid="token-secret"
          textAriaLabel="Token secret"
        >
          {created.secret}
        </ClipboardCopy>
      </div>
    </>
  );
}

export function CreateTokenModal({
  tenants,
  onClose,
  onCreated,
}: {
  tenants: Tenant[];
  onClose: () => void;
  onCreated: () => void;
}) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [tenant, setTenant] = useState('');
  const { busy, problem, submit } = useSubmit();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const errors = problem ? formKeys(problem.problem.errors ?? []) : {};

  const create = () =>
    submit(
      () =>
        api<CreatedToken>('POST', '/tokens', {
          body: { name: name.trim(), role, ...(tenant && role !== 'admin' ? { tenant } : {}) },
        }),
      (r) => {
        setCreated(r);
        onCreated();
      },
    );

  return (
    <Modal
      isOpen
      onClose={onClose}
      variant="medium"
      aria-labelledby="token-form-title"
      data-testid="token-form"
    >
      <ModalHeader
        title={created ? `Token ${created.token.name} created` : 'Create token'}
        labelId="token-form-title"
      />
      <ModalBody>
        {created ? (
          <SecretShownOnce created={created} />
        ) : (
          <>
            {problem && (
              <div style={{ marginBottom: '1rem' }}>
                <ProblemAlert error={problem} testId="token-form-problem" />
              </div>
            )}
            <Form
              id="token-form-form"
              onSubmit={(e) => {
                e.preventDefault();
                void create();
              }}
            >
              <FormField
                id="token-name"
                label="Name"
                error={errors.name}
                help="who or what holds it, e.g. ci-deployer"
                isRequired
              >
                <TextInput
                  id="token-name"
                  data-testid="token-name"
                  value={name}
                  onChange={(_e, v) => setName(v)}
                />
              </FormField>
              <FormField id="token-role" label="Role" error={errors.role}>
                <FormSelect
                  id="token-role"
                  data-testid="token-role"
                  value={role}
                  onChange={(_e, v) => setRole(v as Role)}
                >
                  {ROLES.map((r) => (
                    <FormSelectOption key={r.role} value={r.role} label={r.label} />
                  ))}
                </FormSelect>
              </FormField>
              {role !== 'admin' && (
                <FormField
                  id="token-tenant"
                  label="Tenant"
                  error={errors.tenant}
                  help="a tenant token sees and acts on its tenant only"
                >
                  <FormSelect
                    id="token-tenant"
                    data-testid="token-tenant"
                    value={tenant}
                    onChange={(_e, v) => setTenant(v)}
                  >
                    <FormSelectOption value="" label="none: host-wide" />
                    {tenants.map((t) => (
                      <FormSelectOption key={t.name} value={t.name} label={t.name} />
                    ))}
                  </FormSelect>
                </FormField>
              )}
            </Form>
          </>
        )}
      </ModalBody>
      <ModalFooter>
        {created ? (
          <Button variant="primary" onClick={onClose} data-testid="token-done">
            Done
          </Button>
        ) : (
          <>
            <Button
              variant="primary"
              type="submit"
              form="token-form-form"
              isLoading={busy}
              isDisabled={busy}
              data-testid="token-form-submit"
            >
              Create
            </Button>
            <Button variant="link" onClick={onClose} data-testid="token-form-cancel">
              Cancel
            </Button>
          </>
        )}
      </ModalFooter>
    </Modal>
  );
}
