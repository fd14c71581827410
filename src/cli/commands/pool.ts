/** `sriovctl pool list|show|vfs|create|delete`: pools of VFs over the daemon's REST API. */
import type { Command } from 'commander';
import { poolSpec, type ListOf, type Pool, type PoolVf } from '../../contract/index.js';
import type { ApiClient } from '../api-client.js';
import { styleFor } from '../format.js';
import { println } from '../io.js';
import { renderPool, renderPools, renderPoolVfs } from '../render-ledger.js';
import {
  alreadyExists,
  apiOptions,
  collectList,
  exists,
  nameArg,
  printJson,
  validated,
  withApi,
  type ApiFlags,
} from './api-command.js';
import type { CommandContext } from './context.js';

interface CreateFlags extends ApiFlags {
  pfNames?: string[];
  pciAddresses?: string[];
  drivers?: string[];
  vendor?: string;
  deviceId?: string;
  vfRange?: string;
  vfDriver?: string;
  description?: string;
  replace?: boolean;
}

const FLAGS = {
  selector: '--pf-names/--pci-addresses/--vendor/--device-id/--drivers',
  'selector.pfNames': '--pf-names',
  'selector.pciAddresses': '--pci-addresses',
  'selector.vendor': '--vendor',
  'selector.deviceID': '--device-id',
  'selector.drivers': '--drivers',
  'selector.vfRange': '--vf-range',
  vfDriver: '--vf-driver',
  description: '--description',
};

const vfsOf = (api: ApiClient, name: string) =>
  api.get<ListOf<PoolVf>>(`/pools/${name}/vfs`).then((r) => r.items);

/** Registers `pool`. */
export function poolCommands(program: Command, ctx: CommandContext): void {
  const pool = program
    .command('pool')
    .description('pools: selectors over the host VFs that tenants take from');
  const out = () => styleFor(ctx.io.stdout, ctx.io.env);

  apiOptions(pool.command('list').description('list pools with their VF counts')).action(
    (flags: ApiFlags) =>
      withApi(ctx, flags, async (api) => {
        const r = await api.get<ListOf<Pool>>('/pools');
        if (flags.json) return printJson(ctx.io, r);
        const rows = await Promise.all(
          r.items.map(async (p) => ({ pool: p, vfs: await vfsOf(api, p.name) })),
        );
        println(ctx.io.stdout, renderPools(rows, out()));
      }),
  );

  apiOptions(pool.command('show').argument('<name>').description('one pool')).action(
    (name: string, flags: ApiFlags) =>
      withApi(ctx, flags, async (api) => {
        const n = nameArg('pool', name);
        const p = await api.get<Pool>(`/pools/${n}`);
        if (flags.json) return printJson(ctx.io, p);
        println(ctx.io.stdout, renderPool(p, await vfsOf(api, n), out()));
      }),
  );

  apiOptions(
    pool
      .command('vfs')
      .argument('<name>')
      .description("the pool's VFs and who holds them (other tenants' VFs show only as taken)"),
  ).action((name: string, flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const n = nameArg('pool', name);
      const r = await api.get<ListOf<PoolVf>>(`/pools/${n}/vfs`);
      if (flags.json) return printJson(ctx.io, r);
      println(ctx.io.stdout, renderPoolVfs(r.items, out()));
    }),
  );

  apiOptions(
    pool
      .command('create')
      .argument('<name>', 'a lowercase DNS label, e.g. e810-vfio')
      .description('create a pool (admin); give at least one selector flag')
      .option(
        '--pf-names <names>',
        'PF netdevs, optionally with a VF range: ens1f0#0-63 (comma-separated or repeated)',
        collectList,
      )
      .option(
        '--pci-addresses <addrs>',
        'PF PCI addresses (comma-separated or repeated)',
        collectList,
      )
      .option('--drivers <names>', 'PF drivers: ice, mlx5_core, ... (comma-separated)', collectList)
      .option('--vendor <id>', 'PCI vendor ID, e.g. 8086')
      .option('--device-id <id>', 'PCI device ID, e.g. 159b')
      .option('--vf-range <range>', 'VF indexes on every selected PF, e.g. 0-63 (default all)')
      .option('--vf-driver <driver>', 'vfio-pci or host: the driver a VF is on (default vfio-pci)')
      .option('--description <text>', 'free text')
      .option('--replace', 'replace the spec of an existing pool instead of refusing'),
  ).action((name: string, flags: CreateFlags) =>
    withApi(
      ctx,
      flags,
      async (api) => {
        const n = nameArg('pool', name);
        const selector = {
          ...(flags.pfNames ? { pfNames: flags.pfNames } : {}),
          ...(flags.pciAddresses ? { pciAddresses: flags.pciAddresses } : {}),
          ...(flags.drivers ? { drivers: flags.drivers } : {}),
          ...(flags.vendor !== undefined ? { vendor: flags.vendor } : {}),
          ...(flags.deviceId !== undefined ? { deviceID: flags.deviceId } : {}),
          ...(flags.vfRange !== undefined ? { vfRange: flags.vfRange } : {}),
        };
        const spec = validated(
          poolSpec,
          {
            selector,
            ...(flags.vfDriver !== undefined ? { vfDriver: flags.vfDriver } : {}),
            ...(flags.description !== undefined ? { description: flags.description } : {}),
          },
          FLAGS,
          'pool create',
        );
        const existed = await exists(api, `/pools/${n}`);
        if (existed && !flags.replace) throw alreadyExists('pool', n);
        const p = await api.request<Pool>('PUT', `/pools/${n}`, { body: spec });
        if (flags.json) return printJson(ctx.io, p);
        const vfs = await vfsOf(api, n);
        println(
          ctx.io.stdout,
          `${existed ? 'Replaced' : 'Created'} pool ${p.name}: ${vfs.length} VF${vfs.length === 1 ? '' : 's'} on this host match.`,
        );
        // A pool whose driver this host cannot do is created (the host may be fixed), but said.
        const bad = vfs.filter((v) => v.unusable);
        if (bad.length) {
          const { c } = styleFor(ctx.io.stderr, ctx.io.env);
          println(
            ctx.io.stderr,
            c.yellow(
              `sriovctl: ${bad.length === vfs.length ? 'none' : `${vfs.length - bad.length}`} of them can be attached on ${p.vfDriver} here: ${bad.length} ${bad[0]!.unusable!.reason}`,
            ),
          );
          println(ctx.io.stderr, `${c.bold('fix:')} ${bad[0]!.unusable!.fix}`);
        }
      },
      FLAGS,
    ),
  );

  apiOptions(
    pool
      .command('delete')
      .argument('<name>')
      .description('delete a pool no tenant uses and no attachment holds (admin)'),
    false,
  ).action((name: string, flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const n = nameArg('pool', name);
      await api.request('DELETE', `/pools/${n}`);
      println(ctx.io.stdout, `Deleted pool ${n}.`);
    }),
  );
}
