import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue 6: an exchange that lists a flood of new symbols must not grow the process. One million
// distinct symbols go into metrics with a 2,000-value budget; every record must be accounted for
// (the series sum to the records made) and memory must stay bounded.

const TARGET = fileURLToPath(new URL('./flood-target.ts', import.meta.url));

interface FloodReport {
  records: number;
  budget: number;
  counterSum: number;
  histogramCount: number;
  counterSeries: number;
  histogramSeries: number;
  overflowed: [number, number];
  overflowHookCalls: number;
  overflowLine: string;
  selfMetricLines: string[];
  bodyBytes: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  peakRssMb: number;
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
}

function runFlood(records: number): FloodReport {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', TARGET, String(records)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`flood target failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as FloodReport;
}

describe('cardinality flood', () => {
  it('records 1,000,000 distinct symbols into a 2,000-value budget with every record accounted for', () => {
    const report = runFlood(1_000_000);
    console.log(
      `cardinality flood: ${report.records} records, ${report.counterSeries} series, ` +
        `${report.overflowed[0]} folded; RSS ${report.rssBeforeMb} MB before, ${report.rssAfterMb} MB after, ` +
        `peak ${report.peakRssMb} MB; heap ${report.heapUsedBeforeMb} → ${report.heapUsedAfterMb} MB; ` +
        `body ${report.bodyBytes} bytes`,
    );
    // Every record is in some series: 2,000 own series plus the overflow series.
    expect(report.counterSum).toBe(1_000_000);
    expect(report.histogramCount).toBe(1_000_000);
    expect(report.counterSeries).toBe(2_001);
    expect(report.histogramSeries).toBe(2_001);
    expect(report.overflowed).toEqual([998_000, 998_000]);
    expect(report.overflowHookCalls).toBe(2 * 998_000);
    expect(report.overflowLine).toBe('flood_ticks_total{otel_metric_overflow="true"} 998000');
    expect(report.selfMetricLines).toEqual([
      'ttquant_metrics_overflow_records_total{metric="flood_ticks_total"} 998000',
      'ttquant_metrics_overflow_records_total{metric="flood_size"} 998000',
    ]);
    // Bounded: after a GC the million symbol strings are gone; what stays is 2,000 interned values
    // per metric. A leak of even 16 bytes per record would show as 16 MB here.
    expect(report.heapUsedAfterMb - report.heapUsedBeforeMb).toBeLessThan(8);
    // And it does not grow with the records: a tenth of the flood leaves the same heap behind.
    const tenth = runFlood(100_000);
    console.log(
      `cardinality flood: ${tenth.records} records: heap ${tenth.heapUsedBeforeMb} → ${tenth.heapUsedAfterMb} MB, RSS after ${tenth.rssAfterMb} MB`,
    );
    expect(tenth.counterSum).toBe(100_000);
    expect(Math.abs(report.heapUsedAfterMb - tenth.heapUsedAfterMb)).toBeLessThan(4);
  });
});
