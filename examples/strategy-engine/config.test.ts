import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/config.js';
import { parseStrategies, readEngineConfig, type VenueEndpoints } from './config.js';

describe('readEngineConfig', () => {
  it('has the original defaults', () => {
    const config = readEngineConfig({});
    // One market-data bus and one gateway for both venues traded.
    const one: VenueEndpoints = {
      mdZmqEndpoint: 'tcp://127.0.0.1:5555',
      gatewayZmqEndpoint: 'tcp://127.0.0.1:5556',
      gatewayUrl: 'http://127.0.0.1:9201',
    };
    expect(config.venues).toEqual(
      new Map([
        ['binance', one],
        ['okx', one],
      ]),
    );
    expect(config).toMatchObject({
      metricsHost: '127.0.0.1',
      metricsPort: 8000,
      maxPositionLots: 3,
      capitalUsd: 100_000,
      sharpePeriodMs: 60_000,
      sharpePeriodsPerYear: undefined,
      orderCooldownMs: 1_000,
      rejectCooldownMs: 5_000,
    });
    expect(config.strategies).toEqual([
      { name: 'ma_cross', kind: 'ma_cross', exchange: 'binance', symbol: 'BTCUSDT', lot: 0.01 },
      { name: 'mean_revert', kind: 'mean_revert', exchange: 'okx', symbol: 'ETHUSDT', lot: 0.2 },
    ]);
  });

  it('reads every variable it documents', () => {
    const config = readEngineConfig({
      GATEWAY_URL: 'http://10.0.0.5:9300/',
      ENGINE_METRICS_PORT: '0',
      METRICS_HOST: '0.0.0.0',
      ENGINE_SHARPE_PERIOD_MS: '5000',
      ENGINE_SHARPE_PERIODS_PER_YEAR: '252',
      ENGINE_MA_FAST: '3',
      ENGINE_MA_SLOW: '9',
    });
    expect(config.venues.get('okx')?.gatewayUrl).toBe('http://10.0.0.5:9300');
    expect(config).toMatchObject({
      metricsPort: 0,
      metricsHost: '0.0.0.0',
      sharpePeriodMs: 5_000,
      sharpePeriodsPerYear: 252,
      params: { maFast: 3, maSlow: 9 },
    });
  });

  it.each([
    [{ ENGINE_METRICS_PORT: '80000' }, 'ENGINE_METRICS_PORT=80000'],
    [{ ENGINE_CAPITAL_USD: '0' }, 'ENGINE_CAPITAL_USD=0'],
    [{ ENGINE_MAX_POSITION_LOTS: '1.5' }, 'ENGINE_MAX_POSITION_LOTS=1.5'],
    [{ ENGINE_MA_FAST: '20', ENGINE_MA_SLOW: '10' }, 'ENGINE_MA_FAST=20'],
    [{ ENGINE_MR_ENTRY_Z: '1', ENGINE_MR_EXIT_Z: '2' }, 'ENGINE_MR_EXIT_Z=2'],
    [{ GATEWAY_URL: 'ftp://x' }, 'GATEWAY_URL=ftp://x'],
    [{ GATEWAY_URL: 'not a url' }, 'GATEWAY_URL=not a url'],
    [{ MD_ZMQ_ENDPOINT: 'http://md:5555' }, 'MD_ZMQ_ENDPOINT=http://md:5555: expected a ZeroMQ endpoint'],
  ])('refuses %o', (env, message) => {
    expect(() => readEngineConfig(env)).toThrow(ConfigError);
    expect(() => readEngineConfig(env)).toThrow(message);
  });
});

describe('per-venue endpoints', () => {
  const twoVenues = {
    MD_ZMQ_ENDPOINTS: 'binance=tcp://md-binance:5555, okx=tcp://md-okx:5555',
    GATEWAY_ZMQ_ENDPOINTS: 'binance=tcp://gateway-binance:5556,okx=tcp://gateway-okx:5556',
    GATEWAY_URLS: 'binance=http://gateway-binance:9201/,okx=http://gateway-okx:9201',
  };

  it('gives each venue its own market-data bus and gateway', () => {
    expect(readEngineConfig(twoVenues).venues).toEqual(
      new Map([
        [
          'binance',
          {
            mdZmqEndpoint: 'tcp://md-binance:5555',
            gatewayZmqEndpoint: 'tcp://gateway-binance:5556',
            gatewayUrl: 'http://gateway-binance:9201',
          },
        ],
        [
          'okx',
          {
            mdZmqEndpoint: 'tcp://md-okx:5555',
            gatewayZmqEndpoint: 'tcp://gateway-okx:5556',
            gatewayUrl: 'http://gateway-okx:9201',
          },
        ],
      ]),
    );
  });

  it('falls back to the single variable for a venue the list leaves out, and lists only traded venues', () => {
    const config = readEngineConfig({
      MD_ZMQ_ENDPOINTS: 'okx=tcp://md-okx:5555',
      MD_ZMQ_ENDPOINT: 'tcp://md-all:5555',
      GATEWAY_URLS: 'okx=http://gateway-okx:9201',
      GATEWAY_URL: 'http://gateway-all:9201',
      ENGINE_STRATEGIES: 'ma_cross:binance:BTCUSDT',
    });
    expect([...config.venues.keys()]).toEqual(['binance']);
    expect(config.venues.get('binance')).toEqual({
      mdZmqEndpoint: 'tcp://md-all:5555',
      gatewayZmqEndpoint: 'tcp://127.0.0.1:5556',
      gatewayUrl: 'http://gateway-all:9201',
    });
  });

  it.each([
    [
      { ...twoVenues, GATEWAY_URLS: 'binance=http://gateway-binance:9201' },
      'GATEWAY_URLS=binance=http://gateway-binance:9201: strategy "mean_revert" trades okx, which has no entry (add okx=…, or set GATEWAY_URL for every venue)',
    ],
    [
      { ...twoVenues, MD_ZMQ_ENDPOINTS: 'okx=tcp://md-okx:5555' },
      'MD_ZMQ_ENDPOINTS=okx=tcp://md-okx:5555: strategy "ma_cross" trades binance, which has no entry',
    ],
    [{ MD_ZMQ_ENDPOINTS: 'tcp://md:5555' }, 'MD_ZMQ_ENDPOINTS=tcp://md:5555: "tcp://md:5555" is not venue=endpoint'],
    [{ MD_ZMQ_ENDPOINTS: 'ftx=tcp://md:5555' }, '"ftx=tcp://md:5555" names venue "ftx"; expected one of binance, okx'],
    [
      { GATEWAY_ZMQ_ENDPOINTS: 'okx=tcp://a:1,okx=tcp://b:1' },
      'GATEWAY_ZMQ_ENDPOINTS=okx=tcp://a:1,okx=tcp://b:1: "okx=tcp://b:1" repeats venue "okx"',
    ],
    [{ GATEWAY_ZMQ_ENDPOINTS: 'okx=' }, 'GATEWAY_ZMQ_ENDPOINTS=okx=: "okx=": expected a ZeroMQ endpoint'],
    [{ GATEWAY_URLS: 'okx=ftp://gw' }, 'GATEWAY_URLS=okx=ftp://gw: "okx=ftp://gw": expected an http:// URL'],
  ])('refuses %o', (env, message) => {
    expect(() => readEngineConfig(env)).toThrow(ConfigError);
    expect(() => readEngineConfig(env)).toThrow(message);
  });
});

describe('parseStrategies', () => {
  it('names instances by kind, or as given, with the venue lot size', () => {
    expect(
      parseStrategies(' ma_cross:okx:SOLUSDT , fast=ma_cross:binance:BTCUSDT,mr=mean_revert:okx:DOGEUSDT'),
    ).toEqual([
      { name: 'ma_cross', kind: 'ma_cross', exchange: 'okx', symbol: 'SOLUSDT', lot: 5 },
      { name: 'fast', kind: 'ma_cross', exchange: 'binance', symbol: 'BTCUSDT', lot: 0.01 },
      { name: 'mr', kind: 'mean_revert', exchange: 'okx', symbol: 'DOGEUSDT', lot: 1 },
    ]);
  });

  it.each([
    ['', 'no strategy configured'],
    ['ma_cross:binance', 'is not [name=]kind:exchange:symbol'],
    ['momentum:binance:BTCUSDT', 'has kind "momentum"'],
    ['ma_cross:ftx:BTCUSDT', 'has exchange "ftx"'],
    ['ma_cross:binance:btc-usdt', 'has symbol "btc-usdt"'],
    ['9lives=ma_cross:binance:BTCUSDT', 'has name "9lives"'],
    ['ma_cross:binance:BTCUSDT,ma_cross:okx:BTCUSDT', 'repeats the name "ma_cross"'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseStrategies(raw)).toThrow(ConfigError);
    expect(() => parseStrategies(raw)).toThrow(message);
  });
});
