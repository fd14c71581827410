/** What a command needs from main: the streams, the global host flags, and a way to set the exit code. */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import type { HostFlags } from '../open-host.js';

export interface CommandContext {
  io: CliIo;
  /** The global --sim / --sysfs-root flags as seen from a (sub)command. */
  hostFlags(cmd: Command): HostFlags;
  setExitCode(code: number): void;
}
