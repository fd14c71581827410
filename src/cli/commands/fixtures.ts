/** `sriovctl fixtures`: the simulated hosts that ship with sriovctl, and forgetting a kept one. */
import type { Command } from 'commander';
import { resetSimState, simStateDir, simStateFile } from '../../host/sim/index.js';
import { UsageError } from '../exit-codes.js';
import { println } from '../io.js';
import { DEFAULT_FIXTURE, simFixtures } from '../open-host.js';
import { toJson } from '../session.js';
import type { CommandContext } from './context.js';

/** Registers `fixtures` and `fixtures reset`. */
export function fixturesCommand(program: Command, ctx: CommandContext): void {
  const fixtures = program
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
  fixtures
    .command('reset')
    .description(
      'forget the kept state of a simulated host, so the next --sim command boots it afresh',
    )
    .argument('[fixture]', `the fixture (default ${DEFAULT_FIXTURE})`)
    .option('--all', 'every fixture')
    .action((name: string | undefined, flags: { all?: boolean }) => {
      if (flags.all && name !== undefined)
        throw new UsageError('give a fixture or --all, not both');
      const dir = simStateDir(ctx.io.env);
      if (dir === null)
        throw new UsageError(
          'no kept simulated hosts: neither XDG_STATE_HOME nor HOME is set',
          'simulated hosts are kept under $XDG_STATE_HOME/sriovctl/sim (or ~/.local/state/sriovctl/sim)',
        );
      const names = flags.all ? simFixtures() : [name ?? DEFAULT_FIXTURE];
      if (!simFixtures().includes(names[0]!))
        throw new UsageError(
          `unknown simulator fixture ${JSON.stringify(names[0])}`,
          `shipped fixtures: ${simFixtures().join(', ')}`,
        );
      for (const n of names) {
        const file = simStateFile(dir, n);
        const had = resetSimState(file);
        if (had || !flags.all)
          println(
            ctx.io.stdout,
            had
              ? `reset ${n}: forgot ${file}; the next --sim ${n} command boots it afresh`
              : `reset ${n}: nothing kept (${file} does not exist)`,
          );
      }
    });
}
