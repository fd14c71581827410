/** `sriovctl fixtures`: the simulated hosts that ship with sriovctl. */
import type { Command } from 'commander';
import { println } from '../io.js';
import { DEFAULT_FIXTURE, simFixtures } from '../open-host.js';
import { toJson } from '../session.js';
import type { CommandContext } from './context.js';

/** Registers `fixtures`. */
export function fixturesCommand(program: Command, ctx: CommandContext): void {
  program
    .command('fixtures')
    .description('list the simulated hosts usable with --sim <fixture>')
    .option('--json', 'print the names as a JSON array')
    .action((flags: { json?: boolean }) => {
      const names = simFixtures();
      if (flags.json) {
        ctx.io.stdout.write(toJson(names));
        return;
      }
      for (const n of names) println(ctx.io.stdout, n === DEFAULT_FIXTURE ? `${n} (default)` : n);
    });
}
