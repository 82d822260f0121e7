// Hostile scrapers: N concurrent scrapers hammer /metrics of a 10,000-series registry for a
// bounded time while the same process records on its hot path. Nothing may fail, the recording must
// keep going, and a scrape afterwards must account for every record made. The figures are printed,
// not asserted: speed thresholds would only measure how busy the machine is (bench/scrape-load.ts
// compares them with prom-client).

import { describe, expect, it } from 'vitest';
import { bodyMismatches, describeRun, runScrapeLoad } from './load-driver.js';

const CONNECTIONS = 50;
const DURATION_SECONDS = 4;
const SERIES = 10_000;
// Not Prometheus' 10 s: the scrapers are one JS thread in this process that decodes every 7 MB body,
// so when `npm test` runs other files on the same 2 cores, the last of 50 bodies sent together can
// wait longer than 10 s in the scrapers' own queue while the server sits idle (seen: event-loop max
// 0.6 s, scrape p99 10.6 s at load average 5). bench/scrape-load.ts reports against 10 s.
const TIMEOUT_SECONDS = 30;

describe('scrape load: 50 concurrent scrapers against 10,000 series while recording', () => {
  it('serves every scrape, keeps recording, and the final scrape accounts for every record', async () => {
    const run = await runScrapeLoad('ours', {
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      timeoutSeconds: TIMEOUT_SECONDS,
      series: SERIES,
    });
    console.log(`[scrape-load] ${describeRun(run)}`);

    // Every request the scrapers made was answered with a 2xx, in time, on a connection that held.
    expect(run.load.errors).toBe(0);
    expect(run.load.timeouts).toBe(0);
    expect(run.load.non2xx).toBe(0);
    expect(run.load.requests).toBeGreaterThan(0);
    expect(run.underLoad.serverErrors).toBe(0);
    // The hot path kept recording during the load: the phase began when the load did.
    expect(run.underLoad.phaseRecords).toBeGreaterThan(0);
    // All 10,000 series are on the wire, and every inc/observe made (before and during the load) is
    // in them: nothing was lost or double counted while scrapes ran concurrently with recording.
    expect(bodyMismatches(run.final, run.underLoad, SERIES)).toEqual([]);
  }, 60_000);
});
