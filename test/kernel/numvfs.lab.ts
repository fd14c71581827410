// The numVfs lifecycle on a real PCI SR-IOV PF (QEMU NVMe, 7 VFs) through sriovctl's executor.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OperationError, readVirtfns, setNumVfs, writeNumVfs } from '../../src/executor/index.js';
import { KernelError } from '../../src/host/errors.js';
import type { PciAddress } from '../../src/host/names.js';
import { labHost, nvmePf } from './support.js';

const host = await labHost();
let pf: PciAddress;
const numvfs = () => `/sys/bus/pci/devices/${pf}/sriov_numvfs`;

before(async () => {
  pf = await nvmePf(host);
  await setNumVfs(host, pf, 0, { allowReset: true });
  await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, '1');
});
after(async () => {
  await setNumVfs(host, pf, 0, { allowReset: true });
  await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, '1');
});

test('0 → 4 creates four VFs with virtfn links', async () => {
  const r = await setNumVfs(host, pf, 4);
  assert.deepEqual(r.writes, ['4']);
  assert.equal((await host.readFile(numvfs())).trim(), '4');
  assert.equal((await readVirtfns(host, pf)).size, 4);
});

test('writing the same count again is a no-op', async () => {
  await writeNumVfs(host, pf, 4, { from: 4 });
  assert.equal((await host.readFile(numvfs())).trim(), '4');
});

test('4 → 2 is refused by the kernel with EBUSY, explained', async () => {
  await assert.rejects(
    writeNumVfs(host, pf, 2, { from: 4, totalVfs: 7, driver: 'nvme' }),
    (e: unknown) => {
      assert.ok(e instanceof OperationError);
      assert.equal(e.errno, 'EBUSY');
      assert.match(
        e.message,
        /cannot change a non-zero VF count to another non-zero count \(4 → 2\)/,
      );
      assert.match(e.hint ?? '', /write 0 first/);
      return true;
    },
  );
  // setNumVfs refuses the same change up front unless a reset is allowed, then does 0 → 2.
  await assert.rejects(setNumVfs(host, pf, 2), OperationError);
  assert.deepEqual((await setNumVfs(host, pf, 2, { allowReset: true })).writes, ['0', '2']);
});

test('above totalVfs is refused with ERANGE, explained', async () => {
  await assert.rejects(setNumVfs(host, pf, 9, { allowReset: true }), (e: unknown) => {
    assert.ok(e instanceof OperationError);
    assert.equal(e.errno, 'ERANGE');
    assert.match(e.message, /9 VFs is more than .* supports \(sriov_totalvfs 7\)/);
    return true;
  });
});

test('garbage counts are EINVAL, sriov_totalvfs is read-only (EACCES)', async () => {
  for (const bad of ['abc', '-1', '65536']) {
    await assert.rejects(
      host.writeFile(numvfs(), bad),
      (e: unknown) => e instanceof KernelError && e.errno === 'EINVAL',
    );
  }
  await assert.rejects(
    host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_totalvfs`, '3'),
    (e: unknown) => e instanceof KernelError && e.errno === 'EACCES',
  );
});

test('with autoprobe off, new VFs stay unbound', async () => {
  await setNumVfs(host, pf, 0, { allowReset: true });
  await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, '0');
  await setNumVfs(host, pf, 3);
  for (const vf of (await readVirtfns(host, pf)).values()) {
    assert.equal(
      await host.entryKind(`/sys/bus/pci/devices/${vf}/driver`),
      null,
      `${vf} has a driver`,
    );
  }
});
