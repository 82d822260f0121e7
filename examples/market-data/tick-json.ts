import type { Tick } from '../shared/protocol.js';

// The bus payload, written by hand: the same bytes as JSON.stringify(tick) with Tick's field order,
// about 10x cheaper per tick (JSON.stringify of the object literal 556 ns, with a replacer array
// 1,728 ns; the concatenation below ~50–300 ns, measured on this 2-core machine, Node 24). It is
// safe because every string in it is either a constant or a symbol that passed SYMBOL_PATTERN (no
// quote, backslash or control character), and every number is finite, which JSON writes exactly as
// String(n) does. tick-json.prop.test.ts checks the output against JSON.stringify.

/**
 * Returns the constant head of a Tick's JSON for one exchange, symbol and type.
 *
 * @param exchange - the venue
 * @param symbol - a symbol matching SYMBOL_PATTERN
 * @param type - the message type
 * @returns `{"exchange":…,"symbol":…,"type":…,"price":`
 */
export function tickJsonPrefix(exchange: Tick['exchange'], symbol: string, type: Tick['type']): string {
  return `{"exchange":${JSON.stringify(exchange)},"symbol":${JSON.stringify(symbol)},"type":${JSON.stringify(type)},"price":`;
}

/**
 * Completes a Tick's JSON after {@link tickJsonPrefix}.
 *
 * @param prefix - from tickJsonPrefix for the tick's exchange, symbol and type
 * @param tick - a tick with finite numbers
 * @returns exactly `JSON.stringify(tick)`
 */
export function tickJson(prefix: string, tick: Tick): string {
  return (
    prefix +
    tick.price +
    ',"quantity":' +
    tick.quantity +
    ',"volume24h":' +
    tick.volume24h +
    ',"exchangeTime":' +
    tick.exchangeTime +
    ',"receivedTime":' +
    tick.receivedTime +
    '}'
  );
}
