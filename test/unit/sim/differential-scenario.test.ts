// The lab's differential scenario, run on the simulator alone: it must run to the end and give the
// answers measured on the real 6.1 kernel (kernel-lab-facts.md). The lab then checks every state.
import { expect, it } from 'vitest';
import { pciAddress } from '../../../src/host/names.js';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { runScenario } from '../../kernel/differential/scenario.js';

it('gives the measured answers on the simulator mirror of the lab guest', async () => {
  const h = await loadSimHost('qemu-nvme-lab', { timing: 'off' });
  try {
    const records = await runScenario({ host: h, pf: pciAddress('0000:00:02.0'), nsimId: 11 });
    const answers = Object.fromEntries(records.map((r) => [r.step, r.result]));
    expect(answers).toMatchObject({
      'numvfs 0 → 4': 'ok',
      'numvfs 4 again (no-op)': 'ok',
      'numvfs 4 → 2': 'EBUSY',
      'numvfs above totalvfs': 'ERANGE',
      'numvfs "abc"': 'EINVAL',
      'numvfs "-1"': 'EINVAL',
      'numvfs "65536"': 'EINVAL',
      'write sriov_totalvfs': 'EACCES',
      'VF1 drivers_probe': 'ok',
      'bind a device that does not exist': 'ENODEV',
      'numvfs 4 → 0 with a VF on vfio-pci': 'ok',
      'netdevsim numvfs 0 → 5 (above max_vfs)': 'ENOMEM',
      'netdevsim del_device again': 'ENOENT',
    });
    const bound = records.find((r) => r.step === 'VF1 drivers_probe')!;
    expect(bound.state.pf.vfs[1]!.driver).toBe('vfio-pci');
    expect(bound.state.vfio).toEqual(['g2']);
    const unbound = records.find((r) => r.step === 'numvfs 0 → 3 without autoprobe')!;
    expect(unbound.state.pf.vfs.map((v) => v.driver)).toEqual([null, null, null]);
  } finally {
    h.close();
  }
});
