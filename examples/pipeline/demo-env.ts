// The demo's settings, shared by `npm run demo` (pipeline/main.ts) and `npm run soak` (soak/main.ts),
// so that the soak runs under exactly the demo's load.

/**
 * Demo settings, so every metric moves within a minute: mild faults on the exchange (a dropped feed
 * every 30 s, a few malformed messages, some 429 and 503 answers), a 3-second database outage 20 s
 * in, and a Sharpe ratio over 5-second periods annualised as if each were a trading day. The runners
 * apply each one unless the environment already sets it.
 */
export const DEMO_ENV: Readonly<Record<string, string>> = {
  EXCHANGE_DROP_EVERY_MS: '30000',
  EXCHANGE_MALFORMED_FRACTION: '0.002',
  EXCHANGE_RATE_LIMIT_FRACTION: '0.05',
  EXCHANGE_ERROR_FRACTION: '0.05',
  DB_FAULT_AT_MS: '20000',
  DB_FAULT_FOR_MS: '3000',
  ENGINE_SHARPE_PERIOD_MS: '5000',
  ENGINE_SHARPE_PERIODS_PER_YEAR: '252',
  ENGINE_ORDER_COOLDOWN_MS: '500',
};
