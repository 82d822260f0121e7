import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tick } from '../shared/protocol.js';
import { SYMBOL_PATTERN } from './config.js';
import { tickJson, tickJsonPrefix } from './tick-json.js';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const symbol = fc.stringMatching(SYMBOL_PATTERN);

describe('tickJson', () => {
  it('writes exactly what JSON.stringify writes for any valid tick', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('binance', 'okx'),
        symbol,
        fc.constantFrom('trade', 'ticker', 'book'),
        finite,
        finite,
        finite,
        finite,
        finite,
        (exchange, s, type, price, quantity, volume24h, exchangeTime, receivedTime) => {
          const tick: Tick = { exchange, symbol: s, type, price, quantity, volume24h, exchangeTime, receivedTime };
          const json = tickJson(tickJsonPrefix(exchange, s, type), tick);
          expect(json).toBe(JSON.stringify(tick));
          expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(tick)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles the number forms JSON shares with String(n): exponents, -0, tiny and huge', () => {
    for (const price of [1e-7, 1e21, 123456789012345680000, -0, 5e-324, 1.7976931348623157e308]) {
      const tick: Tick = {
        exchange: 'okx',
        symbol: 'BTC-USDT',
        type: 'book',
        price,
        quantity: 0,
        volume24h: 0,
        exchangeTime: 1,
        receivedTime: 2,
      };
      expect(tickJson(tickJsonPrefix('okx', 'BTC-USDT', 'book'), tick)).toBe(JSON.stringify(tick));
    }
  });
});
