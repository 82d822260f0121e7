// The demo's short live summary, printed every few seconds on a terminal: ticks per second per venue,
// orders and fills per venue (each venue has its own gateway), PnL per strategy, and where
// everything listens. Read from the services' own
// /metrics, as a scraper would, so it shows what the metrics say.

/** One scrape's numbers the summary uses. */
export interface SummaryNumbers {
  /** Ticks received so far, per venue. */
  readonly ticks: ReadonlyMap<string, number>;
  /** Orders the gateways received, per venue. */
  readonly orders: ReadonlyMap<string, number>;
  /** Orders that failed after retries, per venue. */
  readonly ordersFailed: ReadonlyMap<string, number>;
  /** Fills, per venue. */
  readonly fills: ReadonlyMap<string, number>;
  /** Total PnL per strategy, USD. */
  readonly pnl: ReadonlyMap<string, number>;
}

// `name{labels} value`: the sample lines of text format 0.0.4 (comments and other formats aside).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)/;

/** Sums of one metric's samples in a body, grouped by one label (or under `''`). */
function sums(body: string, metric: string, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  const label = by === undefined ? undefined : new RegExp(`(?:^|,)${by}="([^"]*)"`);
  for (const line of body.split('\n')) {
    const match = SAMPLE.exec(line);
    if (match === null || match[1] !== metric) continue;
    const key = label === undefined ? '' : (label.exec(match[2] ?? '')?.[1] ?? '');
    out.set(key, (out.get(key) ?? 0) + Number(match[3]));
  }
  return out;
}

/**
 * The summary's numbers from the services' bodies. Every catalog series carries its venue in the
 * `exchange` label, so the bodies of one kind are read as one.
 *
 * @param bodies - the /metrics bodies of every market-data service, every gateway and the strategy
 *   engine ('' for one that could not be read)
 * @returns the numbers
 */
export function summaryNumbers(bodies: {
  readonly marketData: readonly string[];
  readonly gateway: readonly string[];
  readonly engine: string;
}): SummaryNumbers {
  const md = bodies.marketData.join('\n');
  const gw = bodies.gateway.join('\n');
  return {
    ticks: sums(md, 'market_data_received_total', 'exchange'),
    orders: sums(gw, 'orders_total', 'exchange'),
    ordersFailed: sums(gw, 'orders_failed_total', 'exchange'),
    fills: sums(gw, 'trades_total', 'exchange'),
    pnl: sums(bodies.engine, 'strategy_pnl_total', 'strategy'),
  };
}

/**
 * The summary block.
 *
 * @param now - this scrape's numbers
 * @param before - the previous scrape's, for rates (none at first)
 * @param seconds - seconds between the two
 * @param endpoints - service name → URL
 * @param uptimeMs - how long the demo has run
 * @returns the lines to print
 */
export function renderSummary(
  now: SummaryNumbers,
  before: SummaryNumbers | undefined,
  seconds: number,
  endpoints: ReadonlyMap<string, string>,
  uptimeMs: number,
): string {
  const clock = new Date(uptimeMs).toISOString().slice(11, 19);
  const rates = [...now.ticks].map(([venue, count]) => {
    const rate = before === undefined ? undefined : (count - (before.ticks.get(venue) ?? 0)) / seconds;
    return `${venue} ${rate === undefined ? '…' : rate.toFixed(1)}`;
  });
  const venues = [...new Set([...now.orders.keys(), ...now.ordersFailed.keys(), ...now.fills.keys()])].sort();
  const orders = venues.map(
    (venue) =>
      `${venue} ${now.orders.get(venue) ?? 0} (failed ${now.ordersFailed.get(venue) ?? 0}), fills ${now.fills.get(venue) ?? 0}`,
  );
  const pnl = [...now.pnl].map(([strategy, usd]) => `${strategy} ${usd >= 0 ? '+' : ''}${usd.toFixed(2)} USD`);
  const where = [...endpoints].map(([name, url]) => `${name} ${url}`);
  return [
    `── TTQuant demo · up ${clock} ${'─'.repeat(40)}`,
    ` ticks/s  ${rates.join('   ') || 'none yet'}`,
    ` orders   ${orders.join('   ') || 'none yet'}`,
    ` PnL      ${pnl.join('   ') || 'none yet'}`,
    ` metrics  ${where.join('   ')}`,
  ].join('\n');
}
