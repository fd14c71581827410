/**
 * The attach dialog's fields: who gets the VFs (tenant, pool, consumer), the VF settings, and how
 * placement picks them. Each field shows the API's error for it, or its help.
 */
import {
  Checkbox,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  Grid,
  GridItem,
  HelperText,
  HelperTextItem,
  TextInput,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import type { Pool, Tenant } from '../../../contract/index.js';
import type { AttachForm, FormField } from './attachForm.js';
import type { AttachDialog } from './useAttachDialog.js';

/** A field's name as it appears in ids and test ids (`consumer.name` → `consumer-name`). */
const tid = (f: string) => f.replace(/\./g, '-');

/** A text input or a select, bound to one key of the form. */
interface FieldSpec {
  field: FormField;
  k: keyof AttachForm;
  label: string;
  help?: string;
  placeholder?: string;
  /** A select's [value, label] pairs; absent: a text input. */
  options?: [string, string][];
}

/** Who gets the VFs, after the tenant and the pool. */
const CONSUMER_FIELDS: FieldSpec[] = [
  {
    field: 'consumer.kind',
    k: 'consumerKind',
    label: 'Consumer kind',
    options: [
      ['vm', 'VM'],
      ['pod', 'Pod'],
      ['process', 'Process'],
    ],
  },
  {
    field: 'consumer.name',
    k: 'consumerName',
    label: 'Consumer name',
    placeholder: 'vm-42 or default/web-0',
  },
  { field: 'consumer.host', k: 'consumerHost', label: 'Consumer host', help: 'default: this host' },
  { field: 'count', k: 'count', label: 'Count', help: 'how many VFs (default 1)' },
  {
    field: 'interfaces',
    k: 'interfaces',
    label: 'Interface names',
    help: 'e.g. net0, net1 (default: the next free netN)',
  },
];

/** The VF settings after the VLAN, and how placement picks the VFs. */
const SETTING_FIELDS: FieldSpec[] = [
  { field: 'qos', k: 'qos', label: 'QoS (802.1p priority)', help: '0-7' },
  {
    field: 'vlanProto',
    k: 'vlanProto',
    label: 'VLAN protocol',
    options: [
      ['', '802.1Q (default)'],
      ['802.1ad', "802.1ad (QinQ, where the PF's driver takes it)"],
    ],
  },
  { field: 'mac', k: 'mac', label: 'MAC', help: 'default: a stable locally administered MAC' },
  {
    field: 'minTxRate',
    k: 'minTxRate',
    label: 'Min tx rate (Mbit/s)',
    help: 'guaranteed; 0 = none',
  },
  { field: 'maxTxRate', k: 'maxTxRate', label: 'Max tx rate (Mbit/s)', help: '0 = no cap' },
  {
    field: 'spoofchk',
    k: 'spoofchk',
    label: 'Spoof check',
    options: [
      ['', 'default (on unless trusted)'],
      ['on', 'on'],
      ['off', 'off'],
    ],
  },
  {
    field: 'linkState',
    k: 'linkState',
    label: 'Link state',
    options: [
      ['auto', 'auto'],
      ['enable', 'enable'],
      ['disable', 'disable'],
    ],
  },
  { field: 'numa.node', k: 'numaNode', label: 'NUMA node', help: 'empty: any node' },
  {
    field: 'numa.mode',
    k: 'numaMode',
    label: 'NUMA mode',
    options: [
      ['', 'preferred'],
      ['required', 'required'],
    ],
  },
  {
    field: 'strategy',
    k: 'strategy',
    label: 'Strategy',
    options: [
      ['spread', 'spread: fewest of the tenant’s VFs per PF'],
      ['pack', 'pack: fill one PF first'],
    ],
  },
];

/** A labelled field with the API's error for it, or its help. */
function FieldGroup(props: {
  field: FormField;
  label: string;
  error: string | undefined;
  help?: string | undefined;
  children: ReactNode;
}) {
  const { field, label, error, help } = props;
  return (
    <FormGroup label={label} fieldId={`attach-${tid(field)}`}>
      {props.children}
      {(error || help) && (
        <FormHelperText>
          <HelperText>
            {error ? (
              <HelperTextItem variant="error" data-testid={`attach-error-${tid(field)}`}>
                {error}
              </HelperTextItem>
            ) : (
              <HelperTextItem>{help}</HelperTextItem>
            )}
          </HelperText>
        </FormHelperText>
      )}
    </FormGroup>
  );
}

/** One field of the form: a text input, or a select when the spec has options. */
function Field({
  spec,
  dialog,
  disabled = false,
}: {
  spec: FieldSpec;
  dialog: AttachDialog;
  disabled?: boolean;
}) {
  const { field, k, label, options } = spec;
  const id = `attach-${tid(field)}`;
  const common = {
    id,
    'data-testid': id,
    'aria-label': label,
    value: dialog.form[k] as string,
    onChange: (_e: unknown, v: string) => dialog.set(k, v as never),
    validated: dialog.errors[field] ? ('error' as const) : ('default' as const),
  };
  if (options) {
    return (
      <FieldGroup field={field} label={label} error={dialog.errors[field]}>
        <FormSelect {...common} isDisabled={disabled}>
          {options.map(([v, l]) => (
            <FormSelectOption key={v} value={v} label={l} />
          ))}
        </FormSelect>
      </FieldGroup>
    );
  }
  return (
    <FieldGroup field={field} label={label} error={dialog.errors[field]} help={spec.help}>
      <TextInput {...common} {...(spec.placeholder ? { placeholder: spec.placeholder } : {})} />
    </FieldGroup>
  );
}

/** The pool: a select of the tenant's pools, or a text input while the tenant may use none. */
function PoolField({ dialog, tenant, pools }: FieldsProps & { tenant: Tenant | undefined }) {
  const tenantPools = tenant ? tenant.pools : [];
  if (tenantPools.length === 0) {
    return (
      <Field
        spec={{
          field: 'pool',
          k: 'pool',
          label: 'Pool',
          help: `tenant ${dialog.form.tenant || '?'} may use no pool yet`,
        }}
        dialog={dialog}
      />
    );
  }
  const knownPools = new Set(pools.map((p) => p.name));
  const options = tenantPools.map((p): [string, string] => [
    p,
    knownPools.has(p) || dialog.scopedTenant ? p : `${p} (not defined)`,
  ]);
  return <Field spec={{ field: 'pool', k: 'pool', label: 'Pool', options }} dialog={dialog} />;
}

/** The trust checkbox, saying whether the tenant may have trusted VFs. */
function TrustField({ dialog, tenant }: { dialog: AttachDialog; tenant: Tenant | undefined }) {
  return (
    <FieldGroup field="trust" label="Trust" error={dialog.errors.trust}>
      <Checkbox
        id="attach-trust"
        data-testid="attach-trust"
        label={
          tenant?.allowTrust
            ? 'trusted VF (may change its MAC, promiscuous)'
            : 'trusted VF (this tenant may not)'
        }
        isChecked={dialog.form.trust}
        onChange={(_e, v) => dialog.set('trust', v)}
      />
    </FieldGroup>
  );
}

interface FieldsProps {
  dialog: AttachDialog;
  tenants: Tenant[];
  pools: Pool[];
}

/** Every field of the attach dialog, two to a row. */
export function AttachFields({ dialog, tenants, pools }: FieldsProps) {
  const tenant = tenants.find((t) => t.name === dialog.form.tenant);
  const scoped = dialog.scopedTenant;
  const tenantNames = scoped ? [scoped] : tenants.map((t) => t.name);
  const tenantSpec: FieldSpec = {
    field: 'tenant',
    k: 'tenant',
    label: 'Tenant',
    options: tenantNames.map((n) => [n, n]),
  };
  const vlanSpec: FieldSpec = {
    field: 'vlan',
    k: 'vlan',
    label: 'VLAN',
    help: `allowed: ${tenant?.vlans || 'none'} (0 = untagged)`,
  };
  return (
    <Grid hasGutter md={6}>
      <GridItem>
        <Field spec={tenantSpec} dialog={dialog} disabled={scoped !== null} />
      </GridItem>
      <GridItem>
        <PoolField dialog={dialog} tenants={tenants} pools={pools} tenant={tenant} />
      </GridItem>
      {CONSUMER_FIELDS.map((spec) => (
        <GridItem key={spec.field}>
          <Field spec={spec} dialog={dialog} />
        </GridItem>
      ))}
      <GridItem>
        <Field spec={vlanSpec} dialog={dialog} />
      </GridItem>
      {SETTING_FIELDS.map((spec) => (
        <GridItem key={spec.field}>
          <Field spec={spec} dialog={dialog} />
        </GridItem>
      ))}
      <GridItem>
        <TrustField dialog={dialog} tenant={tenant} />
      </GridItem>
    </Grid>
  );
}
