/**
 * The applied desired state: after every successful apply (the boot unit's, a direct `sriovctl
 * apply`, the daemon's API and console apply; not a drift repair, which is partial), the DesiredPf
 * list that apply brought the host to is recorded in /var/lib/sriovctl/applied.json. It answers
 * "what did sriovctl last put on this host, and when": `sriovctl diff --applied` compares the host
 * with it, without the policy files and without re-resolving them against a host that may have
 * changed since. The daemon writes it but does not read it (it keeps the host at the policies it
 * was started with, `serve -f`).
 */
import { z } from 'zod';
import { SriovctlError } from '../host/errors.js';
import { writeConfigFiles } from '../executor/config-files.js';
import type { Host, HostReader } from '../host/host.js';
import { isPciAddress } from '../host/names.js';
import type { DesiredPf } from '../policy/desired.js';
import { APPLIED_STATE_FILE } from './locations.js';

/** Bumped on any incompatible change of the file's shape. */
export const APPLIED_STATE_VERSION = 1;

export interface AppliedState {
  version: typeof APPLIED_STATE_VERSION;
  /** ISO 8601 time the apply finished. */
  appliedAt: string;
  /** The host it was applied to (hostname; the fixture's hostname on the simulator). */
  host: string;
  desired: DesiredPf[];
}

/** applied.json exists but cannot be used: names the file, what is wrong, and how to recover. */
export class AppliedStateError extends SriovctlError {
  override name = 'AppliedStateError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(
      `${path}: ${problem}`,
      'the file is written by `sriovctl apply`; remove it and run `sriovctl apply -f /etc/sriovctl/policies.d` to record it again',
    );
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const rate = z.number().int().min(0);

const vfSchema = z.strictObject({
  vfIndex: z.number().int().min(0),
  driver: z.enum(['host', 'vfio-pci', 'none']),
  settings: z.strictObject({
    mac: z.string().regex(MAC).optional(),
    vlan: z
      .strictObject({
        vlan: z.number().int().min(0).max(4095),
        qos: z.number().int().min(0).max(7),
        proto: z.enum(['802.1Q', '802.1ad']),
      })
      .optional(),
    minTxRate: rate.optional(),
    maxTxRate: rate.optional(),
    spoofchk: z.boolean().optional(),
    trust: z.boolean().optional(),
    linkState: z.enum(['auto', 'enable', 'disable']).optional(),
  }),
  mtu: z.number().int().positive().optional(),
  policy: z.string(),
});

const pfSchema = z.strictObject({
  pciAddress: z.string().refine(isPciAddress, 'expected a PCI address like 0000:3b:00.0'),
  netdev: z.string().nullable(),
  numVfs: z.number().int().min(0),
  mtu: z.number().int().positive().optional(),
  eswitchMode: z.enum(['legacy', 'switchdev']).optional(),
  adminState: z.enum(['up', 'down', 'unchanged']).optional(),
  drift: z.enum(['report', 'repair']).optional(),
  vfs: z.array(vfSchema),
  sources: z.array(z.string()),
  notes: z.array(z.string()),
});

const stateSchema = z.strictObject({
  version: z.literal(APPLIED_STATE_VERSION),
  appliedAt: z.iso.datetime(),
  host: z.string().min(1),
  desired: z.array(pfSchema),
});

/** The file's text for a desired state applied to `host` at `at`: stable, indented JSON. */
export function renderAppliedState(desired: readonly DesiredPf[], host: string, at: Date): string {
  const state: AppliedState = {
    version: APPLIED_STATE_VERSION,
    appliedAt: at.toISOString(),
    host,
    desired: [...desired],
  };
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Parses and validates applied.json text; `path` names the file in errors. */
export function parseAppliedState(text: string, path = APPLIED_STATE_FILE): AppliedState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AppliedStateError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw === 'object' && raw !== null && 'version' in raw && raw.version !== 1) {
    throw new AppliedStateError(
      path,
      `version ${JSON.stringify(raw.version)} is not supported (this sriovctl reads version ${APPLIED_STATE_VERSION})`,
    );
  }
  const r = stateSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const where = first.path.length ? first.path.join('.') : '(top level)';
    throw new AppliedStateError(path, `${where}: ${first.message}`);
  }
  // JSON has no `undefined`, so every optional key is either absent or holds a checked value; the
  // PCI address and MAC strings were validated above, which is what their brands promise.
  return r.data as unknown as AppliedState;
}

/** Records the desired state apply just brought the host to (atomically, by the executor). */
export async function recordAppliedState(
  host: Host,
  desired: readonly DesiredPf[],
  at: Date = new Date(),
): Promise<string> {
  await writeConfigFiles(host, [
    { path: APPLIED_STATE_FILE, content: renderAppliedState(desired, host.description.name, at) },
  ]);
  return APPLIED_STATE_FILE;
}

/** The last recorded applied state, or null when none was recorded yet. */
export async function loadAppliedState(host: HostReader): Promise<AppliedState | null> {
  if ((await host.entryKind(APPLIED_STATE_FILE)) === null) return null;
  return parseAppliedState(await host.readFile(APPLIED_STATE_FILE), APPLIED_STATE_FILE);
}
