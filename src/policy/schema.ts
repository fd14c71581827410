/**
 * The NodePolicy format (`apiVersion: sriovctl.io/v1alpha1`, `kind: NodePolicy`) as a zod schema,
 * the loaded-policy types every other policy module works on, and the issue type they report with.
 * Each field's meaning is documented in examples/policies/README.md; the schema's messages are the
 * "fix" half of an error ("VLAN IDs are 1-4094 (0 = untagged)"), the loader adds the offending value.
 */
import { z } from 'zod';
import type { EswitchMode, VfLinkState, VlanProto } from '../host/host.js';
import type { MacAddress } from '../host/names.js';
import { parseRange } from '../contract/ranges.js';
import { pfSelectorFields, rootDevicesField } from '../contract/selector.js';

// The selector fields are the API contract's (one validator for policies and pools); re-exported
// for the importer.
export { pciAddr, pciId, pfNameEntry } from '../contract/selector.js';

export const API_VERSION = 'sriovctl.io/v1alpha1';
export const KIND = 'NodePolicy';

/**
 * Default priority when a NodePolicy omits it: the middle of 0-99, so an operator can always add a
 * policy that overrides (lower number) or yields to (higher number) the defaults without renumbering.
 */
export const DEFAULT_PRIORITY = 50;

/** A 1-based line and column in a policy file. */
export interface Position {
  line: number;
  col: number;
}

/** What happens to a VF's driver: its PF's VF driver (iavf, mlx5_core), vfio-pci, or no driver. */
export type VfDriver = 'host' | 'vfio-pci' | 'none';

/**
 * Which PFs a policy is for. Entries are validated text in the kernel's form (the contract's
 * selector fields); the planner compares them with the inventory's PF identities and never uses
 * them as a path, so they carry no seam brand.
 */
export interface PolicySelector {
  /** PCI vendor ID, 4 lowercase hex digits (`8086`). */
  vendor?: string;
  /** PF PCI device ID, 4 lowercase hex digits (`1592`). */
  deviceID?: string;
  /** PF netdev names, each with an optional VF range (`ens1f0#0-7,12`). */
  pfNames?: string[];
  /** PF PCI addresses, `0000:3b:00.0` (the operator's name for them). */
  rootDevices?: string[];
  /**
   * PF PCI addresses (same meaning as rootDevices; both may be given, both must match), or
   * netdevsim device names.
   */
  pciAddresses?: string[];
  /** PF drivers (`ice`, `mlx5_core`). */
  drivers?: string[];
}

export interface VfGroup {
  /** The range as written, or undefined for "every VF this policy claims on the PF". */
  range?: string;
  driver: VfDriver;
  mtu?: number;
  /** `none` clears the admin MAC, `auto` derives one, a list gives one MAC per VF of the range. */
  mac?: 'none' | 'auto' | MacAddress[];
  vlan?: number;
  qos?: number;
  vlanProto?: VlanProto;
  minTxRate?: number;
  maxTxRate?: number;
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: VfLinkState;
}

/** Where a policy came from, for messages. */
export interface PolicySource {
  file: string;
  /** The kind as written: NodePolicy, or SriovNetworkNodePolicy for imported operator policies. */
  kind: 'NodePolicy' | 'SriovNetworkNodePolicy';
  apiVersion: string;
  /** Where the object starts in the file. */
  position: Position;
  /** The operator's resourceName, kept for messages (sriovctl runs no device plugin). */
  resourceName?: string;
}

/** A validated policy, in NodePolicy terms whatever its source format. */
export interface LoadedPolicy {
  name: string;
  /** 0-99; a lower number wins. */
  priority: number;
  selector: PolicySelector;
  numVfs?: number;
  mtu?: number;
  eswitchMode?: EswitchMode;
  /** The PF's administrative state (`ip link set <pf> up|down`); absent means unchanged. */
  adminState?: PfAdminState;
  /** What the daemon does when the host drifts from this policy: report it, or repair it. */
  drift?: DriftAction;
  vfGroups: VfGroup[];
  source: PolicySource;
  /**
   * NodePolicy field path → the field path in the source, where they differ (imported policies:
   * `spec.selector.pfNames` → `spec.nicSelector.pfNames`). Looked up by longest prefix.
   */
  fieldMap: Record<string, string>;
  /** Source field path → position of its key (or list item) in the file. */
  positions: Record<string, Position>;
  /** Problems found while loading that do not stop the policy from being used. */
  warnings: PolicyIssue[];
}

export type Severity = 'error' | 'warning';

/** One problem, located in a policy file: `file:line:col: field: message`. */
export interface PolicyIssue {
  severity: Severity;
  file: string;
  line: number;
  col: number;
  /** The field as written in the source file (`spec.vfGroups[0].vlan`). */
  field: string;
  /** The policy's name, when known. */
  policy: string | null;
  /** The PF the problem is about (netdev or PCI address), when it is about one. */
  pf: string | null;
  /** The problem and its fix: `5000 is out of range — VLAN IDs are 1-4094 (0 = untagged)`. */
  message: string;
  /** The whole line as users see it. */
  text: string;
}

/** Builds an issue and its text. */
export function makeIssue(
  severity: Severity,
  file: string,
  pos: Position,
  field: string,
  message: string,
  extra: { policy?: string | null; pf?: string | null } = {},
): PolicyIssue {
  const where = field === '' ? '' : ` ${field}:`;
  return {
    severity,
    file,
    line: pos.line,
    col: pos.col,
    field,
    policy: extra.policy ?? null,
    pf: extra.pf ?? null,
    message,
    text: `${file}:${pos.line}:${pos.col}:${where} ${message}`,
  };
}

/** Formats a field path (`['spec', 'vfGroups', 0, 'vlan']` → `spec.vfGroups[0].vlan`). */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** The source field and its position for a NodePolicy field path of a loaded policy. */
export function locate(
  policy: LoadedPolicy,
  path: string,
): { field: string; pos: Position; file: string } {
  const field = mapField(policy.fieldMap, path);
  return {
    field,
    pos: positionOf(policy.positions, field, policy.source.position),
    file: policy.source.file,
  };
}

/** Builds an issue about a field of a loaded policy. */
export function policyIssue(
  severity: Severity,
  policy: LoadedPolicy,
  path: string,
  message: string,
  pf: string | null = null,
): PolicyIssue {
  const { field, pos, file } = locate(policy, path);
  return makeIssue(severity, file, pos, field, message, { policy: policy.name, pf });
}

/** `name (file:line)`: how one policy names another in a conflict. */
export function policyRef(policy: LoadedPolicy, path = ''): string {
  const { pos, file } = locate(policy, path);
  return `policy "${policy.name}" (${file}:${pos.line})`;
}

function mapField(map: Record<string, string>, path: string): string {
  // Longest mapped prefix wins: `spec.selector.pfNames[2]` maps through `spec.selector.pfNames`.
  let best: string | null = null;
  for (const from of Object.keys(map)) {
    const isPrefix = path === from || path.startsWith(`${from}.`) || path.startsWith(`${from}[`);
    if (isPrefix && (best === null || from.length > best.length)) best = from;
  }
  return best === null ? path : map[best]! + path.slice(best.length);
}

function positionOf(
  positions: Record<string, Position>,
  field: string,
  fallback: Position,
): Position {
  // Walk up to the nearest field that exists in the file (a defaulted field has no position).
  let p = field;
  for (;;) {
    const hit = positions[p];
    if (hit) return hit;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return positions[''] ?? fallback;
    p = p.slice(0, cut);
  }
}

// ---- the zod schema ------------------------------------------------------------------------------

const NAME_FIX =
  'names are 1-253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (as Kubernetes object names)';

/** An integer field within bounds, every failure answered with the same fix text. */
export function intIn(min: number, max: number, fix: string) {
  return z
    .number({ error: fix })
    .int({ error: fix })
    .min(min, { error: fix })
    .max(max, { error: fix });
}

export const rangeField = z
  .union([z.string(), z.number().int().min(0)], {
    error: 'a VF range like 0-7,12 (omit it for every VF)',
  })
  .transform((v) => String(v))
  .superRefine((v, ctx) => {
    const r = parseRange(v);
    if (!r.ok)
      ctx.addIssue({
        code: 'custom',
        message: `is not a VF range — ${r.problem}; write ranges like 0-7,12`,
      });
  });

const MAC_FIX = 'a MAC address like 02:00:00:00:00:01';
const macEntry = z
  .string({ error: MAC_FIX })
  .transform((v) => v.trim().toLowerCase().replaceAll('-', ':'))
  .pipe(z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, { error: MAC_FIX }))
  .transform((v) => v as MacAddress);

const MAC_FIELD_FIX =
  'mac is none (clear the admin MAC), auto (derive one per VF) or a list of MAC addresses, one per VF of the range';
const macField = z.union(
  [
    z.literal('none'),
    z.literal('auto'),
    z.array(macEntry, { error: MAC_FIELD_FIX }).min(1, { error: MAC_FIELD_FIX }),
    macEntry.transform((m) => [m]),
  ],
  { error: MAC_FIELD_FIX },
);

export const MTU_FIX = 'an MTU is 68-9702 on most SR-IOV NICs (9978 on mlx5)';
export const mtuField = intIn(68, 65535, MTU_FIX);
export const numVfsField = intIn(
  0,
  65535,
  "numVfs is 0-65535 (the PF's totalVfs is the real limit)",
);
export const priorityField = intIn(
  0,
  99,
  'priority is 0-99; a lower number wins (0 is the strongest)',
);
export type DriftAction = 'report' | 'repair';
/** The PF's administrative state: set up, set down, or left as it is (the default). */
export type PfAdminState = 'up' | 'down' | 'unchanged';
export const adminStateField = z.enum(['up', 'down', 'unchanged'], {
  error:
    "adminState is up, down or unchanged (the PF's administrative state; unchanged, the default, leaves it alone unless creating VFs needs it up)",
});
export const driftField = z.enum(['report', 'repair'], {
  error: 'drift is report (log it) or repair (put back non-disruptive changes)',
});
export const eswitchField = z.enum(['legacy', 'switchdev'], {
  error: 'eswitchMode is legacy or switchdev',
});
export const policyName = z
  .string({ error: NAME_FIX })
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: NAME_FIX });

const RATE_FIX = 'rates are whole Mbit/s, 0-1000000 (0 = no limit)';
const boolFix = (f: string) => `${f} is true or false`;

export const vfGroupSchema = z
  .object({
    range: rangeField.optional(),
    driver: z
      .enum(['host', 'vfio-pci', 'none'], {
        error: "driver is host (the PF's VF driver, e.g. iavf), vfio-pci or none",
      })
      .default('host'),
    mtu: mtuField.optional(),
    mac: macField.optional(),
    vlan: intIn(0, 4094, 'VLAN IDs are 1-4094 (0 = untagged)').optional(),
    qos: intIn(0, 7, 'qos is the 802.1p priority, 0-7').optional(),
    vlanProto: z
      .enum(['802.1Q', '802.1ad'], { error: 'vlanProto is 802.1Q or 802.1ad' })
      .optional(),
    minTxRate: intIn(0, 1_000_000, RATE_FIX).optional(),
    maxTxRate: intIn(0, 1_000_000, RATE_FIX).optional(),
    spoofchk: z.boolean({ error: boolFix('spoofchk') }).optional(),
    trust: z.boolean({ error: boolFix('trust') }).optional(),
    linkState: z
      .enum(['auto', 'enable', 'disable'], { error: 'linkState is auto, enable or disable' })
      .optional(),
  })
  .strict();

const selectorSchema = z
  .object(
    { ...pfSelectorFields, rootDevices: rootDevicesField },
    {
      error:
        'selector is a mapping of vendor, deviceID, pfNames, rootDevices, pciAddresses and drivers',
    },
  )
  .strict();

export const nodePolicySchema = z
  .object({
    apiVersion: z.literal(API_VERSION, { error: `apiVersion is ${API_VERSION}` }),
    kind: z.literal(KIND, { error: `kind is ${KIND}` }),
    metadata: z
      .object(
        {
          name: policyName,
          labels: z.record(z.string(), z.string()).optional(),
          annotations: z.record(z.string(), z.string()).optional(),
        },
        { error: "metadata is a mapping with the policy's name: metadata: { name: my-policy }" },
      )
      .strict(),
    spec: z
      .object(
        {
          priority: priorityField.optional(),
          selector: selectorSchema,
          numVfs: numVfsField.optional(),
          mtu: mtuField.optional(),
          eswitchMode: eswitchField.optional(),
          adminState: adminStateField.optional(),
          drift: driftField.optional(),
          vfGroups: z.array(vfGroupSchema, { error: 'vfGroups is a list of VF groups' }).optional(),
        },
        { error: 'spec is a mapping with selector, numVfs and vfGroups' },
      )
      .strict(),
  })
  .strict();

export type NodePolicyDoc = z.infer<typeof nodePolicySchema>;

/** Fields users put in the wrong place, with where they belong (shown for unknown-field errors). */
export const MISPLACED: Record<string, string> = {
  name: 'metadata.name',
  priority: 'spec.priority',
  selector: 'spec.selector',
  numVfs: 'spec.numVfs',
  vfGroups: 'spec.vfGroups',
  nicSelector: "spec.selector (nicSelector is the operator's name)",
  deviceType: "spec.vfGroups[].driver (deviceType is the operator's name)",
  eSwitchMode: 'spec.eswitchMode',
};

/** Every field name of the NodePolicy format, for "did you mean" suggestions. */
export const NODE_POLICY_FIELDS: readonly string[] = [
  ...Object.keys(nodePolicySchema.shape),
  ...Object.keys(nodePolicySchema.shape.metadata.shape),
  ...Object.keys(nodePolicySchema.shape.spec.shape),
  ...Object.keys(selectorSchema.shape),
  ...Object.keys(vfGroupSchema.shape),
];

// ---- zod issues → policy issues ------------------------------------------------------------------

/** Context for turning schema failures into located issues. */
export interface IssueContext {
  file: string;
  /** Source field path → position. */
  positions: Record<string, Position>;
  /** Where the object starts (fallback position). */
  start: Position;
  /** The raw object that was validated, to show offending values. */
  raw: unknown;
  /** The policy's name, when it could be read. */
  policy: string | null;
  /** Field names valid somewhere in this format, for spelling suggestions. */
  known: readonly string[];
  /** Fields that belong elsewhere, for "it belongs at" hints. */
  misplaced: Record<string, string>;
}

/** Renders a value the way a message quotes it: numbers bare, strings quoted, the rest as JSON. */
export function showValue(v: unknown): string {
  const s = typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

const TYPE_WORD: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** Turns zod's issues into located policy issues, each `value problem — fix`. */
export function schemaIssues(error: z.ZodError, ctx: IssueContext): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const at = (path: readonly PropertyKey[], message: string) => {
    const field = fieldPath(path);
    out.push(
      makeIssue('error', ctx.file, positionOf(ctx.positions, field, ctx.start), field, message, {
        policy: ctx.policy,
      }),
    );
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) at([...issue.path, key], unknownField(key, issue.path, ctx));
      continue;
    }
    const value = valueAt(ctx.raw, issue.path);
    if (value === undefined) {
      at(issue.path, `is required — ${issue.message}`);
      continue;
    }
    const shown = showValue(value);
    switch (issue.code) {
      case 'too_big':
      case 'too_small':
        at(issue.path, `${shown} is out of range — ${issue.message}`);
        break;
      case 'invalid_type': {
        const word = TYPE_WORD[issue.expected] ?? issue.expected;
        at(issue.path, `${shown} is not ${word} — ${issue.message}`);
        break;
      }
      case 'custom':
        at(issue.path, `${shown} ${issue.message}`);
        break;
      default:
        at(issue.path, `${shown} is not valid — ${issue.message}`);
    }
  }
  return dedupe(out).sort((a, b) => a.line - b.line || a.col - b.col);
}

// A union reports one issue per branch at the same path; users need one line per field.
function dedupe(issues: PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.col}:${i.field}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function unknownField(key: string, parent: readonly PropertyKey[], ctx: IssueContext): string {
  const belongs = ctx.misplaced[key];
  if (belongs !== undefined && belongs !== fieldPath([...parent, key])) {
    return `unknown field here — it belongs at ${belongs}`;
  }
  const guess = closest(key, ctx.known);
  return guess === null
    ? 'unknown field — remove it (fields are listed in examples/policies/README.md)'
    : `unknown field — did you mean "${guess}"?`;
}

/** The known name closest to `word` (case-insensitive edit distance ≤ 2), or null. */
export function closest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of new Set(known)) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** zod's optional fields are `T | undefined`; the policy types use exact optional properties. */
export type Compact<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/** Drops the keys whose value is undefined. */
export function compact<T extends object>(o: T): Compact<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Compact<T>;
}
