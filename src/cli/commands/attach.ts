/**
 * `sriovctl attach`, `detach` and `attachments`: hand VFs to consumers, take them back, list who
 * holds what. `attach --dry-run` asks the daemon for the placement without attaching.
 */
import type { Command } from 'commander';
import {
  attachRequest,
  type Attachment,
  type AttachResult,
  type ListOf,
  type PlacementPreview,
  type WhoAmI,
} from '../../contract/index.js';
import { ApiProblemError, type ApiClient } from '../api-client.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { styleFor } from '../format.js';
import { println } from '../io.js';
import {
  renderAttachments,
  renderAttachResult,
  renderPreview,
  consumerText,
} from '../render-ledger.js';
import {
  apiOptions,
  collectList,
  exitForProblem,
  intFlag,
  nameArg,
  placementLine,
  printJson,
  reportProblem,
  validated,
  withApi,
  type ApiFlags,
} from './api-command.js';
import { resolveAttachmentIds } from './attachment-id-arg.js';
import type { CommandContext } from './context.js';

interface AttachFlags extends ApiFlags {
  tenant?: string;
  pool: string;
  consumer: string;
  interfaces?: string[];
  count?: string;
  vlan?: string;
  qos?: string;
  vlanProto?: string;
  minTxRate?: string;
  maxTxRate?: string;
  trust?: boolean;
  spoofchk?: boolean;
  linkState?: string;
  mac?: string;
  numa?: string;
  pack?: boolean;
  dryRun?: boolean;
  idempotencyKey?: string;
}

interface ListFlags extends ApiFlags {
  tenant?: string;
  pool?: string;
  consumer?: string;
  state?: string;
  wide?: boolean;
}

const FLAGS = {
  tenant: '--tenant',
  pool: '--pool',
  consumer: '--consumer',
  interfaces: '--interfaces',
  count: '--count',
  vlan: '--vlan',
  qos: '--qos',
  vlanProto: '--vlan-proto',
  minTxRate: '--min-tx-rate',
  maxTxRate: '--max-tx-rate',
  trust: '--trust',
  spoofchk: '--no-spoofchk',
  linkState: '--link-state',
  mac: '--mac',
  numa: '--numa',
  strategy: '--pack',
};

const STATES = ['attaching', 'attached', 'detaching', 'failed', 'orphaned'];

/** `vm:web-1`, `pod:default/web-0@node-3`: KIND:NAME[@HOST]. */
export function parseConsumer(v: string): { kind: string; name: string; host?: string } {
  const m = /^([a-z]+):(.+?)(?:@([^@]+))?$/.exec(v);
  if (!m)
    throw new UsageError(
      `--consumer ${JSON.stringify(v)}: expected KIND:NAME[@HOST]`,
      'KIND is vm, pod or process, e.g. --consumer vm:web-1 or --consumer pod:default/web-0@node-3',
    );
  return { kind: m[1]!, name: m[2]!, ...(m[3] !== undefined ? { host: m[3] } : {}) };
}

/** `--numa 1` prefers node 1; `--numa 1:required` refuses other nodes. */
function parseNuma(v: string): { node: number; mode: string } {
  const m = /^(\d+)(?::(preferred|required))?$/.exec(v);
  if (!m)
    throw new UsageError(
      `--numa ${JSON.stringify(v)}: expected N or N:required (or N:preferred, the default)`,
    );
  return { node: Number(m[1]), mode: m[2] ?? 'preferred' };
}

/** The tenant to attach for: --tenant, or the tenant a tenant-scoped token is confined to. */
async function tenantFor(api: ApiClient, flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  const me = await api.get<WhoAmI>('/whoami');
  if (me.tenant === null)
    throw new UsageError(
      `--tenant is required (${me.name} is not confined to a tenant)`,
      'e.g. --tenant team-a',
    );
  return me.tenant;
}

/** Registers `attach`, `detach` and `attachments`. */
export function attachCommands(program: Command, ctx: CommandContext): void {
  const out = () => styleFor(ctx.io.stdout, ctx.io.env);

  apiOptions(
    program
      .command('attach')
      .description('give VFs of a pool to a consumer: place, configure through the PF, record')
      .option('--tenant <name>', "the tenant (default: a tenant-scoped token's own)")
      .requiredOption('--pool <name>', 'the pool to take VFs from')
      .requiredOption('--consumer <kind:name[@host]>', 'vm:NAME, pod:NS/NAME or process:NAME')
      .option(
        '--interfaces <names>',
        "the consumer's interface names, one VF each (comma-separated)",
        collectList,
      )
      .option('--count <n>', 'number of VFs, named net0, net1, ... (default 1)')
      .option('--vlan <id>', "VLAN ID from the tenant's set (0 = untagged)")
      .option('--qos <n>', '802.1p priority 0-7 for the VLAN')
      .option(
        '--vlan-proto <proto>',
        "the VLAN's tag protocol: 802.1Q (default) or 802.1ad where the PF's driver takes it",
      )
      .option('--min-tx-rate <mbps>', 'guaranteed rate in Mbit/s (admitted against link speed)')
      .option('--max-tx-rate <mbps>', 'rate cap in Mbit/s (0 = none)')
      .option('--trust', 'trusted VF (the tenant must allow trust)')
      .option('--no-spoofchk', 'turn spoof checking off (the tenant must allow trust)')
      .option('--link-state <state>', 'auto, enable or disable (default auto)')
      .option('--mac <mac>', 'this MAC instead of a stable generated one (one interface only)')
      .option('--numa <n[:required]>', 'prefer (or with :required, insist on) this NUMA node')
      .option('--pack', 'fill the fullest PF that has room first, instead of spreading across PFs')
      .option('--dry-run', 'show the placement and why, without attaching anything')
      .option('--idempotency-key <key>', 'retry-safe key: the same key answers the first result'),
  ).action((flags: AttachFlags) =>
    withApi(
      ctx,
      flags,
      async (api) => {
        const consumer = parseConsumer(flags.consumer);
        const count = intFlag('--count', flags.count);
        const vlan = intFlag('--vlan', flags.vlan);
        const qos = intFlag('--qos', flags.qos);
        const minTxRate = intFlag('--min-tx-rate', flags.minTxRate);
        const maxTxRate = intFlag('--max-tx-rate', flags.maxTxRate);
        const draft = {
          pool: flags.pool,
          consumer,
          ...(flags.interfaces ? { interfaces: flags.interfaces } : {}),
          ...(count !== undefined ? { count } : {}),
          ...(vlan !== undefined ? { vlan } : {}),
          ...(qos !== undefined ? { qos } : {}),
          ...(flags.vlanProto !== undefined ? { vlanProto: flags.vlanProto } : {}),
          ...(minTxRate !== undefined ? { minTxRate } : {}),
          ...(maxTxRate !== undefined ? { maxTxRate } : {}),
          ...(flags.trust ? { trust: true } : {}),
          ...(flags.spoofchk === false ? { spoofchk: false } : {}),
          ...(flags.linkState !== undefined ? { linkState: flags.linkState } : {}),
          ...(flags.mac !== undefined ? { mac: flags.mac } : {}),
          ...(flags.numa !== undefined ? { numa: parseNuma(flags.numa) } : {}),
          ...(flags.pack ? { strategy: 'pack' } : {}),
        };
        // Check everything but the tenant before asking whoami, so a typo costs no round trip.
        validated(attachRequest, { tenant: flags.tenant ?? 'x', ...draft }, FLAGS, 'attach');
        const parsed = validated(
          attachRequest,
          { tenant: await tenantFor(api, flags.tenant), ...draft },
          FLAGS,
          'attach',
        );
        // Without --vlan-proto the body is what it was before attachments had one (802.1Q).
        const { vlanProto: _default, ...rest } = parsed;
        const body = flags.vlanProto === undefined ? rest : parsed;
        if (flags.dryRun) {
          const p = await api.request<PlacementPreview>('POST', '/placements', { body });
          const placement = p.placement ? placementLine(p.placement) : '';
          if (flags.json) printJson(ctx.io, p);
          if (p.ok) {
            if (!flags.json) println(ctx.io.stdout, renderPreview(p, out(), placement));
            return;
          }
          const { c } = styleFor(ctx.io.stderr, ctx.io.env);
          println(ctx.io.stderr, c.red(`sriovctl: would be refused: ${p.reason ?? 'no reason'}`));
          if (p.fix) println(ctx.io.stderr, `fix: ${p.fix}`);
          if (placement) println(ctx.io.stderr, placement);
          ctx.setExitCode(EXIT.refused);
          return;
        }
        const key = flags.idempotencyKey;
        const r = await api.request<AttachResult>('POST', '/attachments', {
          body,
          ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}),
        });
        if (flags.json) return printJson(ctx.io, r);
        println(ctx.io.stdout, renderAttachResult(r, out(), placementLine(r.placement)));
      },
      FLAGS,
    ),
  );

  apiOptions(
    program
      .command('detach')
      .argument(
        '<id...>',
        'attachment IDs, each in full or 8+ of its last (or first) hex digits (see `sriovctl attachments`)',
      )
      .description('scrub VFs (MAC, VLAN, rates, trust, spoofchk, link, driver) and free them')
      .option(
        '--idempotency-key <key>',
        'retry-safe key (one ID): a retry answers the same instead of "does not exist"',
      )
      .option(
        '--force',
        'admin: release a VF even when the kernel will not scrub it (a `failed` attachment)',
      ),
  ).action((ids: string[], flags: ApiFlags & { idempotencyKey?: string; force?: boolean }) =>
    withApi(ctx, flags, async (api) => {
      const key = flags.idempotencyKey;
      if (key !== undefined && ids.length > 1)
        throw new UsageError('--idempotency-key goes with one attachment ID (a key per request)');
      const wanted = await resolveAttachmentIds(api, ids);
      // Each ID on its own: one that fails does not stop the others; the worst code wins.
      const done: Attachment[] = [];
      let worst: number = EXIT.ok;
      for (const w of wanted) {
        try {
          if ('missing' in w) throw w.missing;
          const { id } = w;
          const a = await api.request<Attachment>(
            'DELETE',
            `/attachments/${id}${flags.force ? '?force=true' : ''}`,
            key !== undefined ? { headers: { 'idempotency-key': key } } : {},
          );
          done.push(a);
          const unscrubbed = a.detail?.startsWith('released without a scrub') === true;
          if (!flags.json)
            println(
              ctx.io.stdout,
              unscrubbed
                ? `Released ${id}: VF ${a.vfIndex} of ${a.pfNetdev ?? a.pf} is back in pool ${a.pool} WITHOUT a scrub (was ${a.interface} of ${consumerText(a.consumer)}): ${a.detail}`
                : `Detached ${id}: VF ${a.vfIndex} of ${a.pfNetdev ?? a.pf} scrubbed and back in pool ${a.pool} (was ${a.interface} of ${consumerText(a.consumer)}).`,
            );
        } catch (err) {
          if (!(err instanceof ApiProblemError) || wanted.length === 1) throw err;
          reportProblem(ctx.io, err.problem, false);
          worst = Math.max(worst, exitForProblem(err.problem.status));
        }
      }
      if (flags.json) printJson(ctx.io, { items: done });
      ctx.setExitCode(worst);
    }),
  );

  apiOptions(
    program
      .command('attachments')
      .description('list attachments (a tenant token sees its own)')
      .option('--tenant <name>', 'only this tenant')
      .option('--pool <name>', 'only this pool')
      .option('--consumer <name>', 'only this consumer name')
      .option('--state <state>', 'attaching, attached, detaching, failed or orphaned')
      .option('--wide', 'every column, and IDs in full (default: their last 8 hex digits)'),
  ).action((flags: ListFlags) =>
    withApi(ctx, flags, async (api) => {
      if (flags.state !== undefined && !STATES.includes(flags.state))
        throw new UsageError(
          `--state ${JSON.stringify(flags.state)}: expected one of ${STATES.join(', ')}`,
        );
      const r = await api.get<ListOf<Attachment>>('/attachments', {
        tenant: flags.tenant === undefined ? undefined : nameArg('tenant', flags.tenant),
        pool: flags.pool === undefined ? undefined : nameArg('pool', flags.pool),
        consumer: flags.consumer,
        state: flags.state,
      });
      if (flags.json) return printJson(ctx.io, r);
      println(ctx.io.stdout, renderAttachments(r.items, out(), { wide: flags.wide === true }));
    }),
  );
}
