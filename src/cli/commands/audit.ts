/** `sriovctl audit`: the append-only log of every ledger mutation, newest first. */
import type { Command } from 'commander';
import type { AuditPage } from '../../contract/index.js';
import { UsageError } from '../exit-codes.js';
import { styleFor, unlimited } from '../format.js';
import { println } from '../io.js';
import { renderAudit } from '../render-ledger.js';
import { apiOptions, intFlag, nameArg, printJson, withApi, type ApiFlags } from './api-command.js';
import type { CommandContext } from './context.js';

interface AuditFlags extends ApiFlags {
  tenant?: string;
  action?: string;
  target?: string;
  limit?: string;
  before?: string;
  wide?: boolean;
}

/** Registers `audit`. */
export function auditCommand(program: Command, ctx: CommandContext): void {
  apiOptions(
    program
      .command('audit')
      .description('the audit log, newest first (a tenant token sees its own tenant)')
      .option('--tenant <name>', 'only entries about this tenant')
      .option('--action <action>', 'only this action: attachment.create, tenant.update, ...')
      .option('--target <target>', 'only this target: tenant/team-a, attachment/<id>, ...')
      .option('--limit <n>', 'at most this many entries, 1-1000 (default 100)')
      .option('--before <seq>', 'entries older than this sequence number (the next page)')
      .option('--wide', 'print the table at full width (by default it fits the terminal)'),
  ).action((flags: AuditFlags) =>
    withApi(ctx, flags, async (api) => {
      const limit = intFlag('--limit', flags.limit);
      if (limit !== undefined && (limit < 1 || limit > 1000))
        throw new UsageError(`--limit ${limit}: expected 1 to 1000`);
      const before = intFlag('--before', flags.before);
      if (before !== undefined && before < 1)
        throw new UsageError(`--before ${before}: expected a sequence number (1 or more)`);
      if (flags.action !== undefined && !/^[a-z.-]{1,64}$/.test(flags.action))
        throw new UsageError(
          `--action ${JSON.stringify(flags.action)}: expected an action such as attachment.create`,
        );
      const r = await api.get<AuditPage>('/audit', {
        tenant: flags.tenant === undefined ? undefined : nameArg('tenant', flags.tenant),
        action: flags.action,
        target: flags.target,
        limit,
        before,
      });
      if (flags.json) return printJson(ctx.io, r);
      const style = styleFor(ctx.io.stdout, ctx.io.env);
      println(ctx.io.stdout, renderAudit(r.items, flags.wide ? unlimited(style) : style));
      if (r.next !== null)
        println(ctx.io.stderr, `sriovctl: more entries: add --before ${r.next} for the next page`);
    }),
  );
}
