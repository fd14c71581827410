/** `npm run bench`: runs every benchmark and prints medians and ratios to same-run baselines. */
import os from 'node:os';
import { benchApply, describeApply } from './apply.js';
import { benchDiscovery, describeDiscovery } from './discovery.js';

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `sriovctl benchmarks — node ${process.version}, ${os.cpus().length} x ${cpu}, load ${os.loadavg()[0]!.toFixed(2)}`,
);
console.log(describeDiscovery(await benchDiscovery()));
console.log(describeApply(await benchApply()));
