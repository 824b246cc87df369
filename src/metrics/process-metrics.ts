import type { Registry } from './registry.js';

/** The standard process metrics (start time, CPU, memory), as every Prometheus client exports them. */
export function registerProcessMetrics(registry: Registry): void {
  const start = registry.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.');
  const cpu = registry.counter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.');
  const rss = registry.gauge('process_resident_memory_bytes', 'Resident memory size, in bytes.');
  const heap = registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.');
  start.set({}, Math.round((Date.now() - process.uptime() * 1000) / 1000));
  let reported = 0;
  registry.onCollect(() => {
    const usage = process.cpuUsage();
    const seconds = (usage.user + usage.system) / 1e6;
    cpu.inc({}, Math.max(0, seconds - reported));
    reported = Math.max(reported, seconds);
    const mem = process.memoryUsage();
    rss.set({}, mem.rss);
    heap.set({}, mem.heapUsed);
  });
}
