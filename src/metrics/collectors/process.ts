/**
 * The daemon's own process: CPU, memory, start time and Node.js version, under the names
 * prom-client's default metrics use (so Node.js dashboards work). Not prom-client's collector
 * itself: it reads /proc/self/status and lists /proc/self/fd on every scrape, and with the event
 * loop histogram it cost as much as all the per-VF families of a 2048-VF host. This set comes from
 * two cheap calls.
 */
import { familyHeader, sampleValue } from '../text.js';

const START = Date.now() / 1000 - process.uptime();
const VERSION = process.versions.node;
const [MAJOR, MINOR, PATCH] = VERSION.split('.');

const line = (name: string, v: number) => `${name} ${sampleValue(v)}\n`;

export function writeProcess(): string {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return (
    familyHeader('process_cpu_user_seconds_total', 'User CPU time the daemon spent', 'counter') +
    line('process_cpu_user_seconds_total', cpu.user / 1e6) +
    familyHeader(
      'process_cpu_system_seconds_total',
      'System CPU time the daemon spent',
      'counter',
    ) +
    line('process_cpu_system_seconds_total', cpu.system / 1e6) +
    familyHeader(
      'process_cpu_seconds_total',
      'User and system CPU time the daemon spent',
      'counter',
    ) +
    line('process_cpu_seconds_total', (cpu.user + cpu.system) / 1e6) +
    familyHeader('process_start_time_seconds', 'When the daemon started (Unix time)', 'gauge') +
    line('process_start_time_seconds', Math.round(START)) +
    familyHeader('process_resident_memory_bytes', 'Resident memory of the daemon', 'gauge') +
    line('process_resident_memory_bytes', mem.rss) +
    familyHeader('nodejs_heap_size_total_bytes', 'V8 heap size', 'gauge') +
    line('nodejs_heap_size_total_bytes', mem.heapTotal) +
    familyHeader('nodejs_heap_size_used_bytes', 'V8 heap in use', 'gauge') +
    line('nodejs_heap_size_used_bytes', mem.heapUsed) +
    familyHeader('nodejs_external_memory_bytes', 'Memory outside the V8 heap (buffers)', 'gauge') +
    line('nodejs_external_memory_bytes', mem.external) +
    familyHeader('nodejs_version_info', 'Node.js version (value 1)', 'gauge') +
    `nodejs_version_info{version="v${VERSION}",major="${MAJOR}",minor="${MINOR}",patch="${PATCH}"} 1\n`
  );
}
