import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/config.js';
import { parseStrategies, readEngineConfig } from './config.js';

describe('readEngineConfig', () => {
  it('has the original defaults', () => {
    const config = readEngineConfig({});
    expect(config).toMatchObject({
      mdZmqEndpoint: 'tcp://127.0.0.1:5555',
      gatewayZmqEndpoint: 'tcp://127.0.0.1:5556',
      gatewayUrl: 'http://127.0.0.1:9201',
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
    expect(config).toMatchObject({
      gatewayUrl: 'http://10.0.0.5:9300',
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
