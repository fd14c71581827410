import { afterEach, describe, expect, it } from 'vitest';
import { hostRoutes } from '../../../src/api/routes/host.js';
import { buildApi } from '../../../src/api/server.js';
import { formatBits, formatRate, topRows } from '../../../src/cli/commands/top.js';
import type { CliIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { createToken } from '../../../src/ledger/tokens.js';
import { runCli } from '../cli/run-cli.js';
import { openWorld, traffic, type World } from './support.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Daemon {
  w: World;
  url: string;
  admin: string;
  vm: number;
  db: number;
}

/** A daemon API with /traffic and /attachments, two attached VFs and traffic on three. */
async function daemon(): Promise<Daemon> {
  const w = await openWorld();
  cleanup.push(() => w.close());
  const vm = (await w.attach({ tenant: 'team-a', consumer: 'web-1' })).vfIndex;
  const db = (await w.attach({ tenant: 'team-b', consumer: 'db-1' })).vfIndex;
  w.host.setTraffic('ens1f0', vm, traffic({ rxBytesPerSec: 1_250_000, txBytesPerSec: 100 }));
  w.host.setTraffic(
    'ens1f0',
    db,
    traffic({ rxBytesPerSec: 500, txBytesPerSec: 12_500_000, rxDroppedPerSec: 40 }),
  );
  w.host.setTraffic('ens2f0np0', 1, traffic({ rxBytesPerSec: 125_000, txDroppedPerSec: 3 }));
  await w.tick();
  await w.tick(2000);
  const app = await buildApi({
    ledger: w.ledger,
    allocation: w.allocation,
    transport: 'tcp',
    rateLimitPerMinute: 0,
  });
  cleanup.push(() => app.close());
  await app.register(
    hostRoutes({ ledger: w.ledger, allocation: w.allocation, sampler: w.sampler }),
    { prefix: '/api/v1' },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { secret } = await createToken(
    w.store,
    { name: 'admin', role: 'admin' },
    'test',
    new Date().toISOString(),
  );
  return { w, url, admin: secret, vm, db };
}

const top = (d: Daemon, args: string[], token = d.admin) =>
  runCli(['top', '--api', d.url, ...args], { SRIOVCTL_TOKEN: token });

/** The table's data rows as their first column (`pf#vf`), in order. */
const order = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^ens\S+#\d+ /.test(l))
    .map((l) => l.split(/\s+/)[0]);

describe('sriovctl top', () => {
  it('prints one table of per-VF rates with tenants and consumers, busiest receiver first', async () => {
    const d = await daemon();
    const r = await top(d, ['--once']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^sriovctl top — .*rates over 2\.0 s, 12 VFs with counters, sorted by rx$/,
    );
    expect(r.stdout).toContain('ens1f0: rx 10.0 Mb/s, tx 100.0 Mb/s, 8 VFs counted');
    expect(order(r.stdout).slice(0, 3)).toEqual([
      `ens1f0#${d.vm}`,
      'ens2f0np0#1',
      `ens1f0#${d.db}`,
    ]);
    const web = lines.find((l) => l.startsWith(`ens1f0#${d.vm} `))!;
    expect(web).toMatch(/10\.0 Mb\/s\s+800 b\/s\s+0\s+0\s+0\/0\s+team-a\s+vm:web-1 \(net0\)$/);
    const db = lines.find((l) => l.startsWith(`ens1f0#${d.db} `))!;
    expect(db).toMatch(/40\/0\s+team-b\s+vm:db-1/);
    // Free VFs are listed too, with no holder.
    expect(lines.find((l) => l.startsWith('ens2f0np0#1 '))).toMatch(/0\/3\s+-\s+-$/);
  });

  it('sorts by tx, drops or VF, and narrows to one PF', async () => {
    const d = await daemon();
    expect(order((await top(d, ['--once', '--sort', 'tx'])).stdout)[0]).toBe(`ens1f0#${d.db}`);
    expect(order((await top(d, ['--once', '--sort', 'drops'])).stdout).slice(0, 2)).toEqual([
      `ens1f0#${d.db}`,
      'ens2f0np0#1',
    ]);
    const byVf = order((await top(d, ['--once', '--sort', 'vf'])).stdout);
    expect(byVf.slice(0, 3)).toEqual(['ens1f0#0', 'ens1f0#1', 'ens1f0#2']);
    expect(byVf.at(-1)).toBe('ens2f0np0#3');
    const one = await top(d, ['--once', '--pf', 'ens2f0np0', '--sort', 'vf']);
    expect(order(one.stdout)).toEqual(['ens2f0np0#0', 'ens2f0np0#1', 'ens2f0np0#2', 'ens2f0np0#3']);
    expect(one.stdout).not.toContain('ens1f0:');
    const limited = await top(d, ['--once', '--limit', '2']);
    expect(order(limited.stdout)).toHaveLength(2);
    expect(limited.stdout).toContain('… 10 more');
  });

  it('prints one table when stdout is not a terminal, even without --once', async () => {
    const d = await daemon();
    const r = await top(d, []);
    expect(r.code).toBe(0);
    expect(order(r.stdout)).toHaveLength(12);
  });

  it('shows a tenant only its own VFs and no PF totals', async () => {
    const d = await daemon();
    const { secret } = await createToken(
      d.w.store,
      { name: 'a-viewer', role: 'viewer', tenant: 'team-a' },
      'test',
      new Date().toISOString(),
    );
    const r = await top(d, ['--once'], secret);
    expect(r.code).toBe(0);
    expect(order(r.stdout)).toEqual([`ens1f0#${d.vm}`]);
    expect(r.stdout).not.toMatch(/^ {2}ens1f0:/m);
  });

  it('answers --json with the joined rows', async () => {
    const d = await daemon();
    const r = await top(d, ['--once', '--json', '--sort', 'tx']);
    const body = JSON.parse(r.stdout) as { intervalMs: number; rows: Record<string, unknown>[] };
    expect(body.intervalMs).toBe(2000);
    expect(body.rows[0]).toMatchObject({
      pf: 'ens1f0',
      vf: d.db,
      txBytesPerS: 12_500_000,
      rxDroppedPerS: 40,
      tenant: 'team-b',
      consumer: 'vm:db-1',
      interface: 'net0',
    });
  });

  it('refuses bad flags before asking, and names an unknown PF', async () => {
    const d = await daemon();
    const sort = await top(d, ['--once', '--sort', 'size']);
    expect(sort.code).toBe(64);
    expect(sort.stderr).toContain('--sort "size": expected one of rx, tx, drops, vf');
    const pf = await top(d, ['--once', '--pf', 'eth9']);
    expect(pf.code).toBe(64);
    expect(pf.stderr).toContain('--pf eth9: no such PF');
    expect((await top(d, ['--once', '--limit', '0'])).code).toBe(64);
  });

  it('redraws in place on a terminal until stopped, cut to the terminal height', async () => {
    const d = await daemon();
    const stop = new AbortController();
    let out = '';
    const frames = () => out.split('\x1b[H\x1b[2J').length - 1;
    const done = main(['top', '--api', d.url, '--interval', '0.2'], {
      stdout: {
        write: (s: string) => {
          out += s;
          if (frames() >= 2) stop.abort();
        },
        isTTY: true,
        rows: 12,
      } as CliIo['stdout'],
      stderr: { write: (s: string) => (out += s), isTTY: true },
      env: { SRIOVCTL_TOKEN: d.admin, NO_COLOR: '1' },
      signal: stop.signal,
    });
    expect(await done).toBe(0);
    expect(frames()).toBe(2);
    const last = out.slice(out.lastIndexOf('\x1b[2J'));
    expect(last).toContain('keys: r rx · t tx · d drops · v VF · q quit');
    expect(last).toContain(`ens1f0#${d.vm}`);
    // 12 rows: the title, 2 PF lines, the keys, the head, the `more` line and a margin leave 5.
    expect(last).toMatch(/… 7 more/);
  });

  it('says the daemon is not there', async () => {
    const r = await runCli(['top', '--once', '--api', 'http://127.0.0.1:9'], {
      SRIOVCTL_TOKEN: 'x',
    });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('cannot reach the sriovctl daemon');
  });
});

describe('top formatting', () => {
  it('speaks link speeds in bits and packet rates in thousands', () => {
    expect(formatBits(0)).toBe('0 b/s');
    expect(formatBits(100)).toBe('800 b/s');
    expect(formatBits(1_250_000)).toBe('10.0 Mb/s');
    expect(formatBits(12_500_000_000)).toBe('100.0 Gb/s');
    expect(formatRate(950)).toBe('950');
    expect(formatRate(12_345)).toBe('12.3k');
    expect(formatRate(2_500_000)).toBe('2.5M');
  });

  it('breaks ties by PF and VF so the order is stable', () => {
    const v = (pf: string, vf: number, rx: number) => ({
      pf,
      vf,
      rxBytesPerS: rx,
      txBytesPerS: 0,
      rxPacketsPerS: 0,
      txPacketsPerS: 0,
      rxDroppedPerS: 0,
      txDroppedPerS: 0,
    });
    const rows = topRows(
      { at: 0, intervalMs: 1000, vfs: [v('ens2f0', 10, 5), v('ens2f0', 2, 5), v('ens1f0', 3, 5)] },
      [],
      { sort: 'rx' },
    );
    expect(rows.map((r) => `${r.pf}#${r.vf}`)).toEqual(['ens1f0#3', 'ens2f0#2', 'ens2f0#10']);
  });
});
