import { MetricsError } from '../define/errors.js';

/**
 * Thrown by the trading ledger when an input is invalid: a fill, a mark, a sampling time, a
 * registration or an option. It is thrown before any state changes, so the ledger and its metrics
 * stay exactly as they were.
 */
export class LedgerInputError extends MetricsError {
  override name = 'LedgerInputError';
  /** Which input is at fault, e.g. `quantity`, `price`, `fee`, `side`, `strategy`, `time`, `sharpe.periodMs`. */
  readonly field: string;
  /** The value that was given. */
  readonly value: unknown;
  /** Why it was rejected, e.g. `must be a finite number > 0`. */
  readonly reason: string;
  /** Position of the fill in a batch passed to `onFills`, or `-1` for a single input. */
  readonly index: number;

  /**
   * @param field - which input is at fault
   * @param value - what was given
   * @param reason - why it was rejected
   * @param index - position in a batch, `-1` when not in a batch
   */
  constructor(field: string, value: unknown, reason: string, index = -1) {
    const at = index >= 0 ? `fills[${index}].` : '';
    super(`${at}${field}: got ${describe(value)}; ${reason}`);
    this.field = field;
    this.value = value;
    this.reason = reason;
    this.index = index;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return String(value);
  return typeof value;
}
