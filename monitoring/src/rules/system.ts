import { monitoringConfig } from '../config.js';
import { externalMetrics as ext } from '../external-metrics.js';
import { select } from './selectors.js';
import { type AlertGroup, alert } from './types.js';

const t = monitoringConfig.thresholds;
const fs = { fstype: { op: '!~', value: monitoringConfig.ignoredFilesystemTypes } } as const;

/** system_alerts: CPU, memory and disk of the hosts node-exporter watches. */
export const systemAlerts: AlertGroup = {
  name: 'system_alerts',
  alerts: [
    alert({
      alert: 'HighCPUUsage',
      expr: `100 * (1 - avg by (job, instance) (rate(${select(ext.cpuSeconds.name, 'node', { mode: 'idle' })}[5m]))) > ${t.cpuPercent}`,
      for: '5m',
      severity: 'warning',
      summary: 'CPU usage on {{ $labels.instance }} is high.',
      description: `CPU usage on {{ $labels.instance }} is {{ printf "%.1f" $value }}%, above ${t.cpuPercent}% for 5 minutes.`,
    }),
    alert({
      alert: 'HighMemoryUsage',
      expr: `100 * (1 - ${select(ext.memAvailable.name, 'node')} / ${select(ext.memTotal.name, 'node')}) > ${t.memoryPercent}`,
      for: '5m',
      severity: 'warning',
      summary: 'Memory usage on {{ $labels.instance }} is high.',
      description: `Memory usage on {{ $labels.instance }} is {{ printf "%.1f" $value }}% (of MemTotal, counting MemAvailable as free), above ${t.memoryPercent}% for 5 minutes.`,
    }),
    alert({
      alert: 'HighDiskUsage',
      expr: `100 * (1 - ${select(ext.fsAvail.name, 'node', fs)} / ${select(ext.fsSize.name, 'node', fs)}) > ${t.diskPercent}`,
      for: '5m',
      severity: 'warning',
      summary: 'The filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is filling up.',
      description: `The filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} is {{ printf "%.1f" $value }}% full, above ${t.diskPercent}% for 5 minutes.`,
    }),
  ],
};
