// VF settings on netdevsim through sriovctl's executor (one ip -batch), read back from the kernel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyVfSettings } from '../../src/executor/index.js';
import type { IfName } from '../../src/host/names.js';
import { macAddress } from '../../src/host/names.js';
import { mbps, vlanId } from '../../src/host/vf-settings.js';
import { labHost, netdevsim, removeNetdevsim } from './support.js';

const host = await labHost();
const ID = 10;
let port: IfName;

before(async () => {
  port = await netdevsim(host, ID);
  await host.writeFile(`/sys/bus/netdevsim/devices/netdevsim${ID}/sriov_numvfs`, '4');
});
after(() => removeNetdevsim(host, ID));

test('new VFs read back as netdevsim leaves them', async () => {
  const link = (await host.linkDump()).links.find((l) => l.ifname === port);
  assert.ok(link?.vfs, `no VF list on ${port}`);
  assert.equal(link.vfs.length, 4);
  assert.deepEqual(
    link.vfs.map((v) => [v.mac, v.spoofchk, v.trust, v.linkState]),
    Array(4).fill(['00:00:00:00:00:00', false, false, 'auto']),
  );
});

test('mac, vlan+qos, 802.1ad, rates, spoofchk, trust and link state apply and read back', async () => {
  const r = await applyVfSettings(host, port, [
    {
      vf: 0,
      settings: {
        mac: macAddress('02:00:00:00:00:01'),
        vlan: { vlan: vlanId(100), qos: 3, proto: '802.1Q' },
      },
    },
    {
      vf: 1,
      settings: {
        vlan: { vlan: vlanId(200), qos: 0, proto: '802.1ad' },
        trust: true,
        spoofchk: true,
      },
    },
    { vf: 2, settings: { minTxRate: mbps(100), maxTxRate: mbps(1000), linkState: 'disable' } },
    { vf: 3, settings: { linkState: 'enable', maxTxRate: mbps(500) } },
  ]);
  for (const x of r)
    assert.deepEqual([x.vf, x.ok, x.readBack], [x.vf, true, { state: 'verified' }], x.message);
});

test('a VF index beyond numvfs is refused by the kernel with EINVAL', async () => {
  const [r] = await applyVfSettings(host, port, [{ vf: 9, settings: { trust: true } }]);
  assert.equal(r!.ok, false);
  assert.equal(r!.errno, 'EINVAL');
});

test('VF counters are read', async () => {
  const link = (await host.linkDump()).links.find((l) => l.ifname === port);
  assert.ok(link?.vfs?.[0]?.counters, 'no counters');
  assert.equal(link.vfs[0].counters.rxBytes, 0);
});
