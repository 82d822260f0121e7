import { strategyDefinitions } from '../catalogs/strategy.js';
import {
  expectBoolean,
  expectFiniteNumber,
  expectInteger,
  expectKeys,
  expectNonEmptyString,
  expectObject,
  expectPositiveNumber,
  type OptionProblem,
  optionProblem,
} from '../define/option-checks.js';
import { GatewayMetricsPublisher } from './gateway-metrics-publisher.js';
import { LedgerInputError } from './input-error.js';
import type { LedgerPublisher } from './ledger-publisher.js';
import type { TradingLedgerOptions } from './ledger-types.js';
import { PeriodGrid } from './period-grid.js';
import { SharpeRatio } from './sharpe.js';
import { StrategyMetricsPublisher } from './strategy-metrics-publisher.js';

const DEFAULT_PERIOD_MS = 86_400_000;
const YEAR_MS = 365 * DEFAULT_PERIOD_MS;
const PUBLISHER_METHODS = ['strategy', 'position', 'symbol', 'account'] as const;

/** A ledger's options, checked and with their defaults. @internal */
export interface LedgerSettings {
  readonly autoRegister: boolean;
  readonly grid: PeriodGrid;
  readonly sharpe: { periodsPerYear: number; riskFreeRate: number; minSamples: number };
  /** `metrics`, then `gateway`, then `publishers`. */
  readonly publishers: readonly LedgerPublisher[];
}

/**
 * Checks a ledger's options and builds its publishers. Every option is checked before anything is
 * bound, so a wrong one fails here, named, and leaves the catalogs untouched, instead of failing
 * later inside a fill or a mark.
 *
 * @internal
 * @param options - the options as given (untyped JavaScript may pass anything)
 * @returns the settings
 * @throws LedgerInputError naming the option
 */
export function resolveLedgerOptions<V extends string>(options: TradingLedgerOptions<V>): LedgerSettings {
  const fail = (problem: OptionProblem) => new LedgerInputError(problem.option, problem.value, problem.reason);
  const given = expectObject(options, 'options', fail);
  expectKeys(given, '', ['metrics', 'gateway', 'publishers', 'sharpe', 'autoRegister'], fail);
  const expectFamilies = (value: unknown, path: string, expected: string, keys: readonly string[]): void => {
    const families = value as Record<string, { bind?: unknown } | undefined> | null;
    const ok = typeof value === 'object' && keys.every((key) => typeof families?.[key]?.bind === 'function');
    if (!ok) throw fail(optionProblem(path, expected, value));
  };
  if (given['metrics'] !== undefined) {
    expectFamilies(given['metrics'], 'metrics', 'a StrategyMetrics instance', Object.keys(strategyDefinitions));
  }
  if (given['gateway'] !== undefined) {
    const gateway = expectObject(given['gateway'], 'gateway', fail);
    expectKeys(gateway, 'gateway', ['metrics', 'exchange'], fail);
    const keys = ['position', 'riskExposure', 'maxDrawdown'];
    expectFamilies(gateway['metrics'], 'gateway.metrics', 'a GatewayMetrics instance', keys);
    expectNonEmptyString(gateway['exchange'], 'gateway.exchange', fail);
  }
  const extra = given['publishers'];
  if (extra !== undefined && !(Array.isArray(extra) && extra.every(isPublisher))) {
    throw fail(optionProblem('publishers', 'an array of LedgerPublisher objects', extra));
  }
  if (given['sharpe'] !== undefined) {
    const sharpe = expectObject(given['sharpe'], 'sharpe', fail);
    expectKeys(sharpe, 'sharpe', ['periodMs', 'periodsPerYear', 'riskFreeRate', 'minSamples'], fail);
    const { periodMs, periodsPerYear, riskFreeRate, minSamples } = sharpe;
    if (periodMs !== undefined) expectPositiveNumber(periodMs, 'sharpe.periodMs', fail);
    if (periodsPerYear !== undefined) expectPositiveNumber(periodsPerYear, 'sharpe.periodsPerYear', fail);
    if (riskFreeRate !== undefined) expectFiniteNumber(riskFreeRate, 'sharpe.riskFreeRate', fail);
    if (minSamples !== undefined) {
      expectInteger(minSamples, 'sharpe.minSamples', 2, Number.MAX_SAFE_INTEGER, fail, 'an integer ≥ 2');
    }
  }
  if (given['autoRegister'] !== undefined) expectBoolean(given['autoRegister'], 'autoRegister', fail);

  const autoRegister = options.autoRegister === true;
  const sharpeOptions = options.sharpe ?? {};
  const grid = new PeriodGrid(sharpeOptions.periodMs ?? DEFAULT_PERIOD_MS);
  const sharpe = {
    periodsPerYear: sharpeOptions.periodsPerYear ?? YEAR_MS / grid.periodMs,
    riskFreeRate: sharpeOptions.riskFreeRate ?? 0,
    minSamples: sharpeOptions.minSamples ?? 2,
  };
  new SharpeRatio(sharpe); // validates the options once, here
  if (autoRegister && sharpe.riskFreeRate !== 0) {
    // An auto-registered strategy has no capital base, which a non-zero rate needs; failing here
    // keeps onFills all-or-nothing.
    throw new LedgerInputError('autoRegister', true, 'cannot be combined with a non-zero sharpe.riskFreeRate');
  }

  const publishers: LedgerPublisher[] = [];
  if (options.metrics !== undefined) publishers.push(new StrategyMetricsPublisher(options.metrics));
  const gateway = options.gateway;
  if (gateway !== undefined) {
    // Bound last: the gateway's venue is the one check that binds a series when it passes.
    try {
      publishers.push(new GatewayMetricsPublisher<V>(gateway));
    } catch (error) {
      if (!(error instanceof LedgerInputError) || error.field !== 'exchange') throw error;
      const reason = error.reason.replace('venue of metrics', 'venue of gateway.metrics');
      throw new LedgerInputError('gateway.exchange', gateway.exchange, reason);
    }
  }
  if (options.publishers !== undefined) publishers.push(...options.publishers);
  return { autoRegister, grid, sharpe, publishers };
}

// A publisher leaves out the parts it does not publish; what it has must be callable.
function isPublisher(value: unknown): value is LedgerPublisher {
  if (typeof value !== 'object' || value === null) return false;
  const methods = value as Record<string, unknown>;
  return PUBLISHER_METHODS.every((key) => methods[key] === undefined || typeof methods[key] === 'function');
}
