import { describe, expect, it } from 'vitest';
import {
  countOpenFds,
  parseMaxOpenFiles,
  parseProcStatus,
  processStartSeconds,
  readMaxFds,
  readProcStatus,
  readResidentMemory,
} from './process-stats.js';

const STATUS = [
  'Name:\tnode',
  'VmPeak:\t 1200000 kB',
  'VmSize:\t 1100000 kB',
  'VmLck:\t       0 kB',
  'VmHWM:\t   50000 kB',
  'VmRSS:\t   41236 kB',
  'VmData:\t  300000 kB',
  'Threads:\t11',
  '',
].join('\n');

const LIMITS = [
  'Limit                     Soft Limit           Hard Limit           Units     ',
  'Max cpu time              unlimited            unlimited            seconds   ',
  'Max open files            1024                 524288               files     ',
  'Max locked memory         8388608              8388608              bytes     ',
  '',
].join('\n');

describe('parseProcStatus', () => {
  it('reads VmRSS, VmSize and VmData in bytes, not the lines that share a prefix', () => {
    expect(parseProcStatus(STATUS)).toEqual({ rss: 41236 * 1024, virtual: 1100000 * 1024, data: 300000 * 1024 });
  });

  it('leaves a missing or malformed line undefined', () => {
    expect(parseProcStatus('Name:\tnode\nVmRSS:\t  12 MB\n')).toEqual({
      rss: undefined,
      virtual: undefined,
      data: undefined,
    });
  });
});

describe('parseMaxOpenFiles', () => {
  it('reads the soft limit', () => {
    expect(parseMaxOpenFiles(LIMITS)).toBe(1024);
  });

  it('gives undefined for an unlimited or missing limit', () => {
    expect(parseMaxOpenFiles(LIMITS.replace('1024                ', 'unlimited           '))).toBeUndefined();
    expect(parseMaxOpenFiles('Limit  Soft Limit\n')).toBeUndefined();
  });
});

describe('processStartSeconds', () => {
  it('is the clock less the uptime, in seconds', () => {
    const before = process.uptime();
    const start = processStartSeconds(2_000_000_000_000);
    const after = process.uptime();
    expect(start).toBeLessThanOrEqual(2_000_000_000 - before + 0.001);
    expect(start).toBeGreaterThanOrEqual(2_000_000_000 - after - 0.001);
  });
});

describe('readResidentMemory', () => {
  it('reads the resident set size where procfs is missing too', () => {
    expect(readResidentMemory()).toBeGreaterThan(0);
  });
});

describe.runIf(process.platform === 'linux')('the procfs readers on Linux', () => {
  it('read this process', () => {
    const status = readProcStatus();
    expect(status?.rss).toBeGreaterThan(0);
    expect(status?.virtual).toBeGreaterThanOrEqual(status?.rss ?? 0);
    expect(status?.data).toBeGreaterThan(0);
    // stdin, stdout and stderr at least.
    expect(countOpenFds()).toBeGreaterThanOrEqual(3);
    expect(readMaxFds()).toBeGreaterThanOrEqual(countOpenFds() ?? 0);
  });
});
