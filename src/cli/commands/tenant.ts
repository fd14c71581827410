/** `sriovctl tenant list|show|create|delete`: tenants over the daemon's REST API. */
import type { Command } from 'commander';
import { tenantSpec, type Attachment, type ListOf, type Tenant } from '../../contract/index.js';
import { styleFor } from '../format.js';
import { println } from '../io.js';
import { renderTenant, renderTenants } from '../render-ledger.js';
import {
  alreadyExists,
  apiOptions,
  collectList,
  exists,
  intFlag,
  nameArg,
  printJson,
  validated,
  withApi,
  type ApiFlags,
} from './api-command.js';
import type { CommandContext } from './context.js';

interface CreateFlags extends ApiFlags {
  pools?: string[];
  vlans: string;
  maxVfs?: string;
  maxGuaranteedMbps?: string;
  allowTrust?: boolean;
  description?: string;
  replace?: boolean;
}

const FLAGS = {
  pools: '--pools',
  vlans: '--vlans',
  maxVfs: '--max-vfs',
  maxGuaranteedMbps: '--max-guaranteed-mbps',
  allowTrust: '--allow-trust',
  description: '--description',
};

/** Registers `tenant`. */
export function tenantCommands(program: Command, ctx: CommandContext): void {
  const tenant = program
    .command('tenant')
    .description('tenants: who may take VFs from which pools, on which VLANs, within which quotas');
  const out = () => styleFor(ctx.io.stdout, ctx.io.env);

  apiOptions(tenant.command('list').description('list tenants')).action((flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const r = await api.get<ListOf<Tenant>>('/tenants');
      if (flags.json) return printJson(ctx.io, r);
      println(ctx.io.stdout, renderTenants(r.items, out()));
    }),
  );

  apiOptions(
    tenant.command('show').argument('<name>').description('one tenant and what it holds'),
  ).action((name: string, flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const n = nameArg('tenant', name);
      const t = await api.get<Tenant>(`/tenants/${n}`);
      if (flags.json) return printJson(ctx.io, t);
      const held = await api.get<ListOf<Attachment>>('/attachments', { tenant: n });
      println(ctx.io.stdout, renderTenant(t, held.items, out()));
    }),
  );

  apiOptions(
    tenant
      .command('create')
      .argument('<name>', 'a lowercase DNS label, e.g. team-a')
      .description('create a tenant (admin)')
      .option('--pools <names>', 'pools it may use (comma-separated or repeated)', collectList)
      .requiredOption('--vlans <ranges>', 'VLAN IDs it may use, e.g. 100-199,300 (0 = untagged)')
      .option('--max-vfs <n>', 'most VFs it may hold at once (default: no limit)')
      .option('--max-guaranteed-mbps <n>', 'most guaranteed bandwidth, sum of min rates in Mbit/s')
      .option('--allow-trust', 'attachments may set trust (and turn spoofchk off)')
      .option('--description <text>', 'free text')
      .option('--replace', 'replace the spec of an existing tenant instead of refusing'),
  ).action((name: string, flags: CreateFlags) =>
    withApi(
      ctx,
      flags,
      async (api) => {
        const n = nameArg('tenant', name);
        const maxVfs = intFlag('--max-vfs', flags.maxVfs);
        const maxGuaranteedMbps = intFlag('--max-guaranteed-mbps', flags.maxGuaranteedMbps);
        const spec = validated(
          tenantSpec,
          {
            pools: flags.pools ?? [],
            vlans: flags.vlans,
            ...(maxVfs !== undefined ? { maxVfs } : {}),
            ...(maxGuaranteedMbps !== undefined ? { maxGuaranteedMbps } : {}),
            allowTrust: flags.allowTrust === true,
            ...(flags.description !== undefined ? { description: flags.description } : {}),
          },
          FLAGS,
          'tenant create',
        );
        const existed = await exists(api, `/tenants/${n}`);
        if (existed && !flags.replace) throw alreadyExists('tenant', n);
        const t = await api.request<Tenant>('PUT', `/tenants/${n}`, { body: spec });
        if (flags.json) return printJson(ctx.io, t);
        println(ctx.io.stdout, `${existed ? 'Replaced' : 'Created'} tenant ${t.name}.`);
      },
      FLAGS,
    ),
  );

  apiOptions(
    tenant
      .command('delete')
      .argument('<name>')
      .description('delete a tenant that holds no attachments (admin)'),
    false,
  ).action((name: string, flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const n = nameArg('tenant', name);
      await api.request('DELETE', `/tenants/${n}`);
      println(ctx.io.stdout, `Deleted tenant ${n}.`);
    }),
  );
}
