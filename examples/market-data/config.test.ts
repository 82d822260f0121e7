import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/config.js';
import { readMarketDataConfig } from './config.js';
import { DEFAULT_SHARED_BUFFERS_MB } from './database.js';

// The tick store's bounds from the environment: defaults, values, and a clear error for a bad one.

describe('readMarketDataConfig: the tick store’s bounds', () => {
  it('defaults to a day and 1 GiB of ticks per process, and PGlite’s small shared buffers', () => {
    const { db } = readMarketDataConfig({});
    expect(db.retention).toEqual({
      maxAgeMs: 24 * 3_600_000,
      maxBytes: 1_024 * 2 ** 20,
      everyMs: 60_000,
      batchRows: 20_000,
    });
    expect(db.sharedBuffersMb).toBe(DEFAULT_SHARED_BUFFERS_MB);
  });

  it('reads each variable', () => {
    const { db } = readMarketDataConfig({
      DB_RETENTION_HOURS: '0.5',
      DB_RETENTION_MAX_MB: '20',
      DB_RETENTION_EVERY_MS: '2000',
      DB_RETENTION_BATCH: '500',
      DB_PGLITE_SHARED_BUFFERS_MB: '64',
    });
    expect(db.retention).toEqual({ maxAgeMs: 1_800_000, maxBytes: 20 * 2 ** 20, everyMs: 2_000, batchRows: 500 });
    expect(db.sharedBuffersMb).toBe(64);
  });

  it.each([
    ['DB_PGLITE_SHARED_BUFFERS_MB', '0'],
    ['DB_PGLITE_SHARED_BUFFERS_MB', '16MB'],
    ['DB_PGLITE_SHARED_BUFFERS_MB', '2048'],
    ['DB_RETENTION_MAX_MB', '-1'],
    ['DB_RETENTION_BATCH', '1.5'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => readMarketDataConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readMarketDataConfig({ [name]: value })).toThrow(name);
  });
});
