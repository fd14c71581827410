/**
 * `sriovctl install` and `uninstall`: reboot persistence. install validates policies against this
 * host, copies them to /etc/sriovctl/policies.d and writes the systemd units; uninstall takes the
 * units (and with --purge the policies and recorded state) away. Enabling the units is left to the
 * operator's own `systemctl` call, printed exactly: see README "Reboot persistence" for why.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { removeConfigFiles, writeConfigFiles } from '../../executor/config-files.js';
import type { Host } from '../../host/host.js';
import { discover } from '../../inventory/discover.js';
import { bootModules } from '../../boot/boot-modules.js';
import {
  doubleManagement,
  enabledUnits,
  installedNow,
  nameClash,
  planInstall,
  planUninstall,
  type PolicySource,
} from '../../boot/install.js';
import {
  APPLY_UNIT,
  DAEMON_UNIT,
  MODULES_LOAD_FILE,
  POLICY_DIR,
  SOCKET_UNIT,
} from '../../boot/locations.js';
import type { UnitOptions } from '../../boot/units.js';
import { planChanges } from '../../policy/plan.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { styleFor } from '../format.js';
import { println, type CliIo } from '../io.js';
import { openSession } from '../session.js';
import type { CommandContext } from './context.js';
import { loadOrReport, resolveLoadedOrReport } from './plan.js';

export interface InstallFlags {
  file?: string[];
  dryRun?: boolean;
  allowDefaultRoute?: boolean;
  repair?: boolean;
  pfWait?: string;
  bootTimeout?: string;
}

export interface UninstallFlags {
  purge?: boolean;
  dryRun?: boolean;
}

const INSTALL_HELP = `
Files:
  ${POLICY_DIR}/          the installed policies (yours to edit; re-run install to validate)
  /var/lib/sriovctl/applied.json        the desired state the last successful apply brought the host to
  ${MODULES_LOAD_FILE}    the kernel modules the policies' VF drivers need at boot (vfio_pci)
  /etc/systemd/system/${APPLY_UNIT}  early-boot oneshot: recreates VFs before the network stack
  /etc/systemd/system/${SOCKET_UNIT}         the daemon's API socket, held by systemd from early boot
  /etc/systemd/system/${DAEMON_UNIT}        the daemon (sriovctl serve)

Exit codes:
  0   written (or, with --dry-run, shown)
  65  the policy files are invalid for this host (printed as file:line:col: field: message)
  64  usage error; 70 host or internal error`;

/** The node binary and this package's bin script, absolute: what the units' ExecStart runs. */
export function sriovctlCommand(): string[] {
  // src/cli/commands and dist/cli/commands are both three levels below the package root.
  return [process.execPath, fileURLToPath(new URL('../../../bin/sriovctl.js', import.meta.url))];
}

function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${flag} ${JSON.stringify(v)}: expected seconds, a positive integer`);
  return n;
}

/** install on an open host: the whole command minus argument parsing (tests call it directly). */
export async function installOnHost(
  io: CliIo,
  host: Host,
  flags: InstallFlags,
  setExit: (n: number) => void,
  command: string[] = sriovctlCommand(),
): Promise<void> {
  const files = flags.file ?? [];
  const out = styleFor(io.stdout, io.env);
  const err = styleFor(io.stderr, io.env);
  const inv = await discover(host);
  // Exactly what the boot-time apply will check, so a policy that cannot apply never gets installed.
  // The texts installed are the texts validated: each file is read once.
  const loaded = loadOrReport(io, files, setExit);
  if (!loaded) return;
  const desired = resolveLoadedOrReport(io, loaded.policies, inv, setExit);
  if (!desired) return;
  const sources: PolicySource[] = loaded.sources;
  const clash = nameClash(sources);
  if (clash) throw new UsageError(clash, 'rename one of the files: policies.d is one directory');
  const units: UnitOptions = {
    command,
    allowDefaultRoute: flags.allowDefaultRoute === true,
    repair: flags.repair === true,
  };
  const pfWait = seconds('pf-wait', flags.pfWait);
  const bootTimeout = seconds('boot-timeout', flags.bootTimeout);
  if (pfWait !== undefined) units.pfWaitSeconds = pfWait;
  if (bootTimeout !== undefined) units.startTimeoutSeconds = bootTimeout;
  const modules = bootModules(loaded.policies);
  const plan = planInstall(sources, units, await installedNow(host), modules);

  for (const d of doubleManagement(desired, inv)) {
    println(io.stderr, err.c.yellow(`warning: ${d.pf}: ${d.title}`));
    for (const e of d.evidence) println(io.stderr, `  evidence: ${e}`);
    for (const f of d.fix.split('\n')) println(io.stderr, `  fix: ${f}`);
  }

  const verb = flags.dryRun ? 'would write ' : 'wrote       ';
  const gone = flags.dryRun ? 'would remove' : 'removed     ';
  if (!flags.dryRun) {
    await writeConfigFiles(host, plan.writes);
    await removeConfigFiles(host, plan.removals);
  }
  println(
    io.stdout,
    flags.dryRun ? 'Dry run: nothing written.' : 'Installed for reboot persistence:',
  );
  for (const w of plan.writes) println(io.stdout, `  ${verb} ${w.path}  (${w.what})`);
  for (const r of plan.removals) println(io.stdout, `  ${gone} ${r.path}  (${r.what})`);
  if (host.description.kind === 'sim')
    println(
      io.stdout,
      out.c.yellow(
        'note: SIMULATED host: the files went into the simulator and are gone when this command ends',
      ),
    );

  const pending = planChanges(desired, inv, {
    allowDefaultRoute: units.allowDefaultRoute === true,
  });
  println(io.stdout, '');
  println(io.stdout, 'Next, as root:');
  // `enable --now` applies at once: a driver that is not loaded yet would fail the bind until the
  // next boot's systemd-modules-load.
  const unloaded: string[] = [];
  for (const m of modules)
    if ((await host.entryKind(`/sys/bus/pci/drivers/${m.driver}`)) === null)
      unloaded.push(m.module);
  if (unloaded.length > 0)
    println(
      io.stdout,
      `  modprobe -a ${unloaded.join(' ')}    # now; ${MODULES_LOAD_FILE} loads it at every boot`,
    );
  println(
    io.stdout,
    `  systemctl daemon-reload && systemctl enable --now ${APPLY_UNIT} ${SOCKET_UNIT} ${DAEMON_UNIT}`,
  );
  if (pending.steps.length > 0) {
    const disruptive = pending.steps.filter((s) => s.disruptive).length;
    println(
      io.stdout,
      out.c.yellow(
        `note: this host does not match the policies yet (${pending.steps.length} step(s), ${disruptive} disruptive); ` +
          `\`enable --now\` applies them at once with --yes. Review them with \`sriovctl plan -f ${POLICY_DIR}\`, ` +
          `or leave out --now to apply at the next boot.`,
      ),
    );
  }
  setExit(EXIT.ok);
}

/** uninstall on an open host (tests call it directly). */
export async function uninstallOnHost(
  io: CliIo,
  host: Host,
  flags: UninstallFlags,
  setExit: (n: number) => void,
): Promise<void> {
  const err = styleFor(io.stderr, io.env);
  // `systemctl disable` needs the unit file to know which .wants links to remove; removing the
  // files first would leave dangling links behind.
  const enabled = await enabledUnits(host);
  if (enabled.length > 0) {
    println(io.stderr, err.c.red(`refused: still enabled: ${enabled.join(', ')}`));
    println(
      io.stderr,
      `hint: run \`systemctl disable --now ${enabled.join(' ')}\` first, then uninstall again`,
    );
    setExit(3);
    return;
  }
  const removals = await planUninstall(host, flags.purge === true);
  if (flags.dryRun) {
    println(io.stdout, 'Dry run: nothing removed.');
    for (const r of removals) println(io.stdout, `  would remove ${r.path}  (${r.what})`);
    return;
  }
  const { removed, kept } = await removeConfigFiles(host, removals);
  if (removed.length === 0) println(io.stdout, 'Nothing to remove: sriovctl is not installed.');
  else println(io.stdout, 'Removed:');
  for (const r of removed) println(io.stdout, `  ${r.path}  (${r.what})`);
  for (const k of kept) println(io.stdout, `  kept ${k.path}: not empty (${k.what})`);
  if (!flags.purge && removed.length > 0)
    println(
      io.stdout,
      `Policies in ${POLICY_DIR} and the recorded state stay; \`sriovctl uninstall --purge\` removes them.`,
    );
  if (removed.length > 0) println(io.stdout, '\nNext, as root:\n  systemctl daemon-reload');
}

/** Registers `install` and `uninstall`. */
export function installCommands(program: Command, ctx: CommandContext): void {
  program
    .command('install')
    .description('install policies and systemd units so VFs are recreated at every boot')
    .requiredOption('-f, --file <path...>', 'policy files or directories (YAML or JSON)')
    .option('--dry-run', 'show what would be written, write nothing')
    .option('--allow-default-route', 'let the boot-time apply change the default-route PF')
    .option('--repair', 'let the daemon repair non-disruptive drift (default: report only)')
    .option('--pf-wait <seconds>', 'how long the boot-time apply waits for PFs (default 60)')
    .option('--boot-timeout <seconds>', "the boot-time apply's hard limit (default 300)")
    .addHelpText('after', INSTALL_HELP)
    .action(async (flags: InstallFlags, cmd: Command) => {
      const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
      await installOnHost(ctx.io, host, flags, ctx.setExitCode);
    });
  program
    .command('uninstall')
    .description('remove the systemd units (and with --purge the policies and recorded state)')
    .option('--purge', `also remove ${POLICY_DIR} and /var/lib/sriovctl`)
    .option('--dry-run', 'show what would be removed, remove nothing')
    .addHelpText('after', '\nExit codes:\n  0   done\n  3   refused: the units are still enabled')
    .action(async (flags: UninstallFlags, cmd: Command) => {
      const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
      await uninstallOnHost(ctx.io, host, flags, ctx.setExitCode);
    });
}
