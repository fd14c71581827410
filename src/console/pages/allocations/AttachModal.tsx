/**
 * The attach dialog: tenant, pool, consumer and VF settings; "Preview placement" asks the API
 * which VFs it would take and why (POST /placements); "Attach" does it (POST /attachments with an
 * Idempotency-Key, kept while the request is unchanged so a retry cannot attach twice). The API's
 * validation errors show under the fields they name.
 */
import {
  Alert,
  Button,
  Checkbox,
  Form,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  Grid,
  GridItem,
  HelperText,
  HelperTextItem,
  List,
  ListItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useRef, useState, type ReactNode } from 'react';
import { newRequestKey } from '../../api/client.js';
import type {
  AttachResult,
  PlacementExplanation,
  PlacementPreview,
  Pool,
  Tenant,
} from '../../../contract/index.js';
import { ProblemAlert } from '../../components/states.js';
import { ApiError, fieldErrors } from '../../lib/problem.js';
import { useSession } from '../../state/session.js';
import { asApiError } from '../../state/useApi.js';
import {
  attachBody,
  emptyForm,
  errorsByField,
  type AttachForm,
  type FormField,
} from './attachForm.js';

const tid = (f: string) => f.replace(/\./g, '-');

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
  const { api, me } = useSession();
  const firstTenant = me.tenant ?? tenants[0]?.name ?? '';
  const firstPool = tenants.find((t) => t.name === firstTenant)?.pools[0] ?? '';
  const [form, setForm] = useState<AttachForm>(() => emptyForm(firstTenant, firstPool));
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [rest, setRest] = useState<{ field: string; message: string }[]>([]);
  const [preview, setPreview] = useState<PlacementPreview | null>(null);
  const [busy, setBusy] = useState<'preview' | 'attach' | null>(null);
  const key = useRef<{ body: string; key: string } | null>(null);

  const tenant = tenants.find((t) => t.name === form.tenant);
  const tenantPools = tenant ? tenant.pools : [];
  const knownPools = new Set(pools.map((p) => p.name));

  const set = <K extends keyof AttachForm>(k: K, v: AttachForm[K]) => {
    setForm((f) => {
      const next = { ...f, [k]: v };
      if (k === 'tenant') next.pool = tenants.find((t) => t.name === v)?.pools[0] ?? '';
      return next;
    });
    setPreview(null);
  };

  const fail = (err: unknown) => {
    const e = asApiError(err);
    const { byField, rest } = errorsByField(fieldErrors(e.problem));
    setErrors(byField);
    setRest(rest);
    setProblem(e);
  };

  const clear = () => {
    setErrors({});
    setRest([]);
    setProblem(null);
  };

  const runPreview = async () => {
    setBusy('preview');
    clear();
    try {
      setPreview(await api<PlacementPreview>('POST', '/placements', { body: attachBody(form) }));
    } catch (err) {
      setPreview(null);
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const attach = async () => {
    setBusy('attach');
    clear();
    const body = attachBody(form);
    const text = JSON.stringify(body);
    if (key.current?.body !== text) key.current = { body: text, key: newRequestKey() };
    try {
      const r = await api<AttachResult>('POST', '/attachments', {
        body,
        headers: { 'Idempotency-Key': key.current.key },
      });
      onAttached(r);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const field = (f: FormField, label: string, input: ReactNode, help?: string) => (
    <FormGroup label={label} fieldId={`attach-${tid(f)}`}>
      {input}
      {(errors[f] || help) && (
        <FormHelperText>
          <HelperText>
            {errors[f] ? (
              <HelperTextItem variant="error" data-testid={`attach-error-${tid(f)}`}>
                {errors[f]}
              </HelperTextItem>
            ) : (
              <HelperTextItem>{help}</HelperTextItem>
            )}
          </HelperText>
        </FormHelperText>
      )}
    </FormGroup>
  );

  const text = (
    f: FormField,
    k: keyof AttachForm,
    label: string,
    help?: string,
    placeholder?: string,
  ) =>
    field(
      f,
      label,
      <TextInput
        id={`attach-${tid(f)}`}
        data-testid={`attach-${tid(f)}`}
        aria-label={label}
        value={form[k] as string}
        onChange={(_e, v) => set(k, v as never)}
        validated={errors[f] ? 'error' : 'default'}
        {...(placeholder ? { placeholder } : {})}
      />,
      help,
    );

  const select = (
    f: FormField,
    k: keyof AttachForm,
    label: string,
    options: [string, string][],
    disabled = false,
  ) =>
    field(
      f,
      label,
      <FormSelect
        id={`attach-${tid(f)}`}
        data-testid={`attach-${tid(f)}`}
        aria-label={label}
        value={form[k] as string}
        onChange={(_e, v) => set(k, v as never)}
        validated={errors[f] ? 'error' : 'default'}
        isDisabled={disabled}
      >
        {options.map(([v, l]) => (
          <FormSelectOption key={v} value={v} label={l} />
        ))}
      </FormSelect>,
    );

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
        {preview && (
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
        )}
        {problem && (
          <div style={{ marginBottom: '1rem' }}>
            <ProblemAlert error={problem} testId="attach-problem" />
          </div>
        )}
        {rest.length > 0 && (
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
        )}
        <Form
          onSubmit={(e) => {
            e.preventDefault();
            void attach();
          }}
          id="attach-form"
        >
          <Grid hasGutter md={6}>
            <GridItem>
              {select(
                'tenant',
                'tenant',
                'Tenant',
                (me.tenant ? [me.tenant] : tenants.map((t) => t.name)).map((n) => [n, n]),
                me.tenant !== null,
              )}
            </GridItem>
            <GridItem>
              {tenantPools.length === 0
                ? field(
                    'pool',
                    'Pool',
                    <TextInput
                      id="attach-pool"
                      data-testid="attach-pool"
                      aria-label="Pool"
                      value={form.pool}
                      onChange={(_e, v) => set('pool', v)}
                      validated={errors.pool ? 'error' : 'default'}
                    />,
                    `tenant ${form.tenant || '?'} may use no pool yet`,
                  )
                : select(
                    'pool',
                    'pool',
                    'Pool',
                    tenantPools.map((p) => [
                      p,
                      knownPools.has(p) || me.tenant ? p : `${p} (not defined)`,
                    ]),
                  )}
            </GridItem>
            <GridItem>
              {select('consumer.kind', 'consumerKind', 'Consumer kind', [
                ['vm', 'VM'],
                ['pod', 'Pod'],
                ['process', 'Process'],
              ])}
            </GridItem>
            <GridItem>
              {text(
                'consumer.name',
                'consumerName',
                'Consumer name',
                undefined,
                'vm-42 or default/web-0',
              )}
            </GridItem>
            <GridItem>
              {text('consumer.host', 'consumerHost', 'Consumer host', 'default: this host')}
            </GridItem>
            <GridItem>{text('count', 'count', 'Count', 'how many VFs (default 1)')}</GridItem>
            <GridItem>
              {text(
                'interfaces',
                'interfaces',
                'Interface names',
                'e.g. net0, net1 (default: the next free netN)',
              )}
            </GridItem>
            <GridItem>
              {text('vlan', 'vlan', 'VLAN', `allowed: ${tenant?.vlans || 'none'} (0 = untagged)`)}
            </GridItem>
            <GridItem>{text('qos', 'qos', 'QoS (802.1p priority)', '0-7')}</GridItem>
            <GridItem>
              {select('vlanProto', 'vlanProto', 'VLAN protocol', [
                ['', '802.1Q (default)'],
                ['802.1ad', "802.1ad (QinQ, where the PF's driver takes it)"],
              ])}
            </GridItem>
            <GridItem>
              {text('mac', 'mac', 'MAC', 'default: a stable locally administered MAC')}
            </GridItem>
            <GridItem>
              {text('minTxRate', 'minTxRate', 'Min tx rate (Mbit/s)', 'guaranteed; 0 = none')}
            </GridItem>
            <GridItem>
              {text('maxTxRate', 'maxTxRate', 'Max tx rate (Mbit/s)', '0 = no cap')}
            </GridItem>
            <GridItem>
              {select('spoofchk', 'spoofchk', 'Spoof check', [
                ['', 'default (on unless trusted)'],
                ['on', 'on'],
                ['off', 'off'],
              ])}
            </GridItem>
            <GridItem>
              {select('linkState', 'linkState', 'Link state', [
                ['auto', 'auto'],
                ['enable', 'enable'],
                ['disable', 'disable'],
              ])}
            </GridItem>
            <GridItem>{text('numa.node', 'numaNode', 'NUMA node', 'empty: any node')}</GridItem>
            <GridItem>
              {select('numa.mode', 'numaMode', 'NUMA mode', [
                ['', 'preferred'],
                ['required', 'required'],
              ])}
            </GridItem>
            <GridItem>
              {select('strategy', 'strategy', 'Strategy', [
                ['spread', 'spread: fewest of the tenant’s VFs per PF'],
                ['pack', 'pack: fill one PF first'],
              ])}
            </GridItem>
            <GridItem>
              {field(
                'trust',
                'Trust',
                <Checkbox
                  id="attach-trust"
                  data-testid="attach-trust"
                  label={
                    tenant?.allowTrust
                      ? 'trusted VF (may change its MAC, promiscuous)'
                      : 'trusted VF (this tenant may not)'
                  }
                  isChecked={form.trust}
                  onChange={(_e, v) => set('trust', v)}
                />,
              )}
            </GridItem>
          </Grid>
        </Form>
      </ModalBody>
      <ModalFooter>
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
          onClick={() => void runPreview()}
          isLoading={busy === 'preview'}
          isDisabled={busy !== null}
          data-testid="attach-preview"
        >
          Preview placement
        </Button>
        <Button variant="link" onClick={onClose} data-testid="attach-cancel">
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
