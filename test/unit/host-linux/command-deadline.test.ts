// No helper program runs unbounded: a read (`ip link show`) that blocks — as a dump does while a
// hung netlink write holds RTNL — is killed at the default deadline, and its HostTimeoutError says
// when the blocked process is finally gone (until then what it asked for may still happen).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { HostTimeoutError } from '../../../src/host/errors.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../../../src/host/linux/exec.js';
import { createLinuxHost } from '../../../src/host/linux/index.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('kills a link dump that blocks past the default deadline, and says when it is gone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriovctl-deadline-'));
  dirs.push(dir);
  const stuck = path.join(dir, 'stuck-ip');
  fs.writeFileSync(stuck, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
  const host = createLinuxHost({ ipPath: stuck });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const dump = host.linkDump().catch((e: unknown) => e);
  await vi.advanceTimersByTimeAsync(DEFAULT_COMMAND_TIMEOUT_MS);
  const err = await dump;
  expect(err).toBeInstanceOf(HostTimeoutError);
  const t = err as HostTimeoutError;
  expect(t.timeoutMs).toBe(30_000);
  expect(t.message).toMatch(/stuck-ip -j -d -s link show: no answer within 30000 ms$/);
  vi.useRealTimers();
  // SIGKILL ends a sleeping child at once: the settled promise resolves.
  await t.settled;
});
