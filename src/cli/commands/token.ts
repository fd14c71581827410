/** `sriovctl token create|list|revoke` (admin) and `sriovctl whoami`. */
import type { Command } from 'commander';
import {
  tokenInput,
  type CreatedToken,
  type ListOf,
  type TokenRecord,
  type WhoAmI,
} from '../../contract/index.js';
import { styleFor } from '../format.js';
import { println } from '../io.js';
import { renderFields, renderTokens } from '../render-ledger.js';
import { apiOptions, idArg, printJson, validated, withApi, type ApiFlags } from './api-command.js';
import type { CommandContext } from './context.js';

interface CreateFlags extends ApiFlags {
  role: string;
  tenant?: string;
}

/** Registers `token` and `whoami`. */
export function tokenCommands(program: Command, ctx: CommandContext): void {
  const token = program
    .command('token')
    .description('API tokens (admin): bearer secrets for http clients, optionally tenant-scoped');
  const out = () => styleFor(ctx.io.stdout, ctx.io.env);

  apiOptions(
    token
      .command('create')
      .argument('<name>', 'a lowercase DNS label naming who uses it, e.g. ci-team-a')
      .description('create a token; its secret is printed once, on stdout')
      .requiredOption('--role <role>', 'viewer, operator or admin')
      .option('--tenant <name>', 'confine it to this tenant (viewer or operator)'),
  ).action((name: string, flags: CreateFlags) =>
    withApi(ctx, flags, async (api) => {
      const body = validated(
        tokenInput,
        { name, role: flags.role, ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}) },
        { name: 'NAME', role: '--role', tenant: '--tenant' },
        'token create',
      );
      const r = await api.request<CreatedToken>('POST', '/tokens', {
        body,
      });
      if (flags.json) return printJson(ctx.io, r);
      // The secret alone on stdout, so `TOKEN=$(sriovctl token create ...)` works.
      println(ctx.io.stdout, r.secret);
      const t = r.token;
      println(
        ctx.io.stderr,
        `sriovctl: token ${t.name} (${t.role}${t.tenant ? ` of tenant ${t.tenant}` : ''}, id ${t.id}) created; the secret above is shown only now`,
      );
    }),
  );

  apiOptions(token.command('list').description('list tokens (never their secrets)')).action(
    (flags: ApiFlags) =>
      withApi(ctx, flags, async (api) => {
        const r = await api.get<ListOf<TokenRecord>>('/tokens');
        if (flags.json) return printJson(ctx.io, r);
        println(ctx.io.stdout, renderTokens(r.items, out()));
      }),
  );

  apiOptions(
    token
      .command('revoke')
      .argument('<id>', 'the token ID (see `token list`)')
      .description('revoke a token'),
    false,
  ).action((id: string, flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const i = idArg('token', id);
      await api.request('DELETE', `/tokens/${i}`);
      println(ctx.io.stdout, `Revoked token ${i}.`);
    }),
  );

  apiOptions(
    program.command('whoami').description('who the daemon takes you for, and where'),
  ).action((flags: ApiFlags) =>
    withApi(ctx, flags, async (api) => {
      const me = await api.get<WhoAmI>('/whoami');
      if (flags.json) return printJson(ctx.io, me);
      println(
        ctx.io.stdout,
        renderFields(
          [
            ['name', me.name],
            ['role', me.role],
            ['tenant', me.tenant ?? '(all tenants)'],
            ['host', me.host],
            ['api', api.where],
          ],
          out(),
        ),
      );
    }),
  );
}
