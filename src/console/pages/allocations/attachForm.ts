/**
 * The attach dialog's fields as text, and the request body built from them. Numbers that do not
 * parse are sent as typed: the API's validation then names the field and says what it wants, so
 * the console has one source of truth for the rules.
 */

export interface AttachForm {
  tenant: string;
  pool: string;
  consumerKind: string;
  consumerName: string;
  consumerHost: string;
  count: string;
  interfaces: string;
  vlan: string;
  qos: string;
  /** Empty: the API's default, 802.1Q. */
  vlanProto: '' | '802.1Q' | '802.1ad';
  minTxRate: string;
  maxTxRate: string;
  trust: boolean;
  spoofchk: '' | 'on' | 'off';
  linkState: string;
  mac: string;
  numaNode: string;
  numaMode: '' | 'preferred' | 'required';
  strategy: string;
}

export const emptyForm = (tenant = '', pool = ''): AttachForm => ({
  tenant,
  pool,
  consumerKind: 'vm',
  consumerName: '',
  consumerHost: '',
  count: '',
  interfaces: '',
  vlan: '',
  qos: '',
  vlanProto: '',
  minTxRate: '',
  maxTxRate: '',
  trust: false,
  spoofchk: '',
  linkState: 'auto',
  mac: '',
  numaNode: '',
  numaMode: '',
  strategy: 'spread',
});

function num(s: string): number | string {
  const t = s.trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/** The POST /attachments (and /placements) body; empty optional fields are left out. */
export function attachBody(f: AttachForm): Record<string, unknown> {
  const consumer: Record<string, unknown> = { kind: f.consumerKind, name: f.consumerName.trim() };
  if (f.consumerHost.trim()) consumer.host = f.consumerHost.trim();
  const body: Record<string, unknown> = { tenant: f.tenant, pool: f.pool, consumer };
  const interfaces = f.interfaces.split(/[\s,]+/).filter(Boolean);
  if (interfaces.length) body.interfaces = interfaces;
  for (const k of ['count', 'vlan', 'qos', 'minTxRate', 'maxTxRate'] as const)
    if (f[k].trim()) body[k] = num(f[k]);
  if (f.vlanProto) body.vlanProto = f.vlanProto;
  if (f.trust) body.trust = true;
  if (f.spoofchk) body.spoofchk = f.spoofchk === 'on';
  body.linkState = f.linkState;
  if (f.mac.trim()) body.mac = f.mac.trim().toLowerCase();
  if (f.numaNode.trim()) body.numa = { node: num(f.numaNode), mode: f.numaMode || 'preferred' };
  body.strategy = f.strategy;
  return body;
}

/** The API's field names the dialog shows errors under; others go to the dialog's alert. */
export const FORM_FIELDS = [
  'tenant',
  'pool',
  'consumer.kind',
  'consumer.name',
  'consumer.host',
  'count',
  'interfaces',
  'vlan',
  'qos',
  'vlanProto',
  'minTxRate',
  'maxTxRate',
  'trust',
  'spoofchk',
  'linkState',
  'mac',
  'numa.node',
  'numa.mode',
  'strategy',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/**
 * Splits errors by form field: `interfaces.2` goes under `interfaces`, `numa` under `numa.node`
 * and `consumer` under `consumer.name`; what fits no field is returned as `rest`.
 */
export function errorsByField(errors: Record<string, string>): {
  byField: Partial<Record<FormField, string>>;
  rest: { field: string; message: string }[];
} {
  const byField: Partial<Record<FormField, string>> = {};
  const rest: { field: string; message: string }[] = [];
  for (const [key, message] of Object.entries(errors)) {
    const exact = FORM_FIELDS.find((f) => f === key);
    const nested = FORM_FIELDS.find((f) => key.startsWith(`${f}.`));
    const parent = key === 'numa' ? 'numa.node' : key === 'consumer' ? 'consumer.name' : undefined;
    const field = exact ?? nested ?? parent;
    if (field && byField[field] === undefined) byField[field] = message;
    else if (!field) rest.push({ field: key, message });
  }
  return { byField, rest };
}
