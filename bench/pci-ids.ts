/**
 * Looking a device name up in a pci.ids larger than the real one (2000 vendors of 40 devices, about
 * 3.5 MB against the real file's 1.3 MB; the device at the far end), which discovery does for
 * every PF model, against a floor measured in the same run: splitting the text into lines once,
 * the least a line-by-line parser must do.
 */
import { pciIdsIndex } from '../src/inventory/pci-names.js';
import { compare, fmtMs, type Comparison } from './harness.js';

/** A synthetic pci.ids, larger than the real one. */
export function fullSizePciIds(): string {
  const lines: string[] = ['# header'];
  for (let v = 0; v < 2000; v++) {
    lines.push(`${v.toString(16).padStart(4, '0')}  Vendor ${v}`);
    for (let d = 0; d < 40; d++)
      lines.push(`\t${d.toString(16).padStart(4, '0')}  Device ${v}/${d} with a realistic length`);
  }
  return lines.join('\n');
}

export interface PciIdsBench {
  bytes: number;
  lookup: Comparison;
}

export async function benchPciIds(): Promise<PciIdsBench> {
  const text = fullSizePciIds();
  const lookup = await compare(
    {
      name: 'index + far lookup',
      fn: async () => {
        if (pciIdsIndex(text).deviceName('07cf', '0027') === null) throw new Error('not found');
      },
    },
    { name: 'split into lines', fn: async () => text.split('\n').length },
    { warmup: 5, runs: 31 },
  );
  return { bytes: text.length, lookup };
}

export function describePciIds(b: PciIdsBench): string {
  return [
    `pci.ids lookup: ${(b.bytes / 1024).toFixed(0)} KiB file, a device at the far end`,
    `  index + lookup median ${fmtMs(b.lookup.subject.medianMs)}; splitting the file into lines ${fmtMs(b.lookup.baseline.medianMs)}; ratio ${b.lookup.ratio.toFixed(2)}× (target: absolute < 50 ms)`,
  ].join('\n');
}
