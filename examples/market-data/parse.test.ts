import { describe, expect, it } from 'vitest';
import { type MarketMessage, parseMarketMessage, type SessionMessage } from './parse.js';

const T = 1_700_000_000_000;
const trade = { e: 'trade', s: 'BTCUSDT', p: '65000.10', q: '0.002', S: 'buy', T };
const ticker = { e: 'ticker', s: 'ETHUSDT', p: '3500.5', v: '123456.75', T };
const book = { e: 'book', s: 'SOLUSDT', b: ['150.00', '12'], a: ['150.50', '3.5'], T };

function parse(value: unknown): MarketMessage | SessionMessage | string {
  return parseMarketMessage(JSON.stringify(value));
}

describe('parseMarketMessage: valid messages', () => {
  it('parses a trade', () => {
    expect(parse(trade)).toEqual({
      type: 'trade',
      symbol: 'BTCUSDT',
      price: 65000.1,
      quantity: 0.002,
      volume24h: 0,
      side: 'buy',
      bidPrice: 0,
      bidQty: 0,
      askPrice: 0,
      askQty: 0,
      exchangeTime: T,
      sequence: 0,
    });
  });

  it('reads the sequence number u, and a session frame', () => {
    expect(parse({ ...trade, u: 42 })).toMatchObject({ type: 'trade', sequence: 42 });
    expect(parse({ e: 'session', id: 'binance-abc-1', u: 0 })).toEqual({
      type: 'session',
      session: 'binance-abc-1',
      last: 0,
    });
    for (const u of [0, -1, 1.5, '7', 2 ** 53]) expect(parse({ ...trade, u })).toBe('invalid_value');
    expect(parse({ e: 'session', u: 3 })).toBe('missing_field');
    expect(parse({ e: 'session', id: 'has space', u: 3 })).toBe('invalid_value');
    expect(parse({ e: 'session', id: 'x', u: -1 })).toBe('invalid_value');
  });

  it('parses a ticker with its 24 h volume', () => {
    expect(parse(ticker)).toMatchObject({
      type: 'ticker',
      symbol: 'ETHUSDT',
      price: 3500.5,
      volume24h: 123456.75,
      side: null,
    });
  });

  it('parses a book update into its levels and the mid price', () => {
    expect(parse(book)).toMatchObject({
      type: 'book',
      price: 150.25,
      bidPrice: 150,
      bidQty: 12,
      askPrice: 150.5,
      askQty: 3.5,
      quantity: 0,
    });
  });

  it('accepts a Buffer (what ws delivers for a text frame), extra fields and exponents', () => {
    const frame = Buffer.from(JSON.stringify({ ...trade, p: '1e-8', extra: { nested: [1, 2] } }));
    expect(parseMarketMessage(frame, false)).toMatchObject({ type: 'trade', price: 1e-8 });
  });

  it('accepts an ArrayBuffer and fragments (Buffer[])', () => {
    const bytes = Buffer.from(JSON.stringify(trade));
    const copy = new ArrayBuffer(bytes.length);
    new Uint8Array(copy).set(bytes);
    expect(parseMarketMessage(copy)).toMatchObject({ type: 'trade' });
    expect(parseMarketMessage([bytes.subarray(0, 10), bytes.subarray(10)])).toMatchObject({ type: 'trade' });
  });
});

describe('parseMarketMessage: each rejection reason', () => {
  it.each([
    ['not JSON', '{"e":"trade",'],
    ['empty text', ''],
    ['a bare word', 'trade'],
    ['a binary frame', Buffer.from(JSON.stringify(trade))],
  ])('invalid_json: %s', (_name, frame) => {
    const isBinary = Buffer.isBuffer(frame);
    expect(parseMarketMessage(frame, isBinary)).toBe('invalid_json');
  });

  it('invalid_json: a frame over the size limit is not parsed', () => {
    const big = JSON.stringify({ ...trade, pad: 'x'.repeat(2_000) });
    expect(parseMarketMessage(big, false, 1_024)).toBe('invalid_json');
    expect(parseMarketMessage(Buffer.from(big), false, 1_024)).toBe('invalid_json');
    expect(parseMarketMessage(big, false, 4_096)).toMatchObject({ type: 'trade' });
  });

  it('invalid_json: the size limit counts UTF-8 bytes, not UTF-16 units', () => {
    const text = JSON.stringify({ ...trade, pad: '€'.repeat(400) }); // 3 bytes each in UTF-8
    expect(text.length).toBeLessThan(1_024);
    expect(parseMarketMessage(text, false, 1_024)).toBe('invalid_json');
  });

  it.each([
    ['unknown type', { ...trade, e: 'funding' }],
    ['type is a number', { ...trade, e: 7 }],
    ['type is an object', { ...trade, e: { trade: true } }],
    ['type in the wrong case', { ...trade, e: 'TRADE' }],
  ])('unknown_type: %s', (_name, value) => {
    expect(parse(value)).toBe('unknown_type');
  });

  it.each([
    ['no e', { s: 'BTCUSDT', p: '1', q: '1', S: 'buy', T }],
    ['e is null', { ...trade, e: null }],
    ['trade without p', { e: 'trade', s: 'BTCUSDT', q: '1', S: 'buy', T }],
    ['trade without q', { e: 'trade', s: 'BTCUSDT', p: '1', S: 'buy', T }],
    ['trade without S', { e: 'trade', s: 'BTCUSDT', p: '1', q: '1', T }],
    ['without s', { e: 'trade', p: '1', q: '1', S: 'buy', T }],
    ['without T', { e: 'trade', s: 'BTCUSDT', p: '1', q: '1', S: 'buy' }],
    ['T is null', { ...trade, T: null }],
    ['ticker without v', { e: 'ticker', s: 'BTCUSDT', p: '1', T }],
    ['book without a', { e: 'book', s: 'BTCUSDT', b: ['1', '1'], T }],
    ['empty object', {}],
  ])('missing_field: %s', (_name, value) => {
    expect(parse(value)).toBe('missing_field');
  });

  it.each([
    ['a JSON array', [trade]],
    ['a JSON number', 42],
    ['a JSON string', 'trade'],
    ['JSON null', null],
    ['price as a number (the protocol sends strings)', { ...trade, p: 65000 }],
    ['price zero', { ...trade, p: '0' }],
    ['negative price', { ...trade, p: '-1' }],
    ['price Infinity', { ...trade, p: 'Infinity' }],
    ['price NaN', { ...trade, p: 'NaN' }],
    ['price overflowing to Infinity', { ...trade, p: '1e999' }],
    ['price in hex', { ...trade, p: '0x10' }],
    ['price with spaces', { ...trade, p: ' 1 ' }],
    ['empty price', { ...trade, p: '' }],
    ['zero trade quantity', { ...trade, q: '0' }],
    ['side not buy/sell', { ...trade, S: 'BUY' }],
    ['symbol empty', { ...trade, s: '' }],
    ['symbol with spaces', { ...trade, s: 'BTC USDT' }],
    ['symbol with a dot (topic separator)', { ...trade, s: 'BTC.USDT' }],
    ['symbol too long', { ...trade, s: 'A'.repeat(33) }],
    ['symbol a number', { ...trade, s: 123 }],
    ['T a string', { ...trade, T: String(T) }],
    ['T negative', { ...trade, T: -1 }],
    ['T zero', { ...trade, T: 0 }],
    ['negative ticker volume', { ...ticker, v: '-5' }],
    ['book level not an array', { ...book, b: '150.1' }],
    ['book level of three', { ...book, b: ['150.1', '1', '2'] }],
    ['book level with a number', { ...book, a: [150.2, '1'] }],
    ['crossed book', { ...book, b: ['151', '1'], a: ['150', '1'] }],
    ['book with a zero bid', { ...book, b: ['0', '1'] }],
  ])('invalid_value: %s', (_name, value) => {
    expect(parse(value)).toBe('invalid_value');
  });

  it('invalid_value: a non-finite T never leaves JSON, but an out-of-range number does', () => {
    expect(parseMarketMessage(`{"e":"trade","s":"BTCUSDT","p":"1","q":"1","S":"buy","T":1e999}`)).toBe('invalid_value');
  });
});

describe('parseMarketMessage: hostile input', () => {
  it.each([
    ['undefined', undefined],
    ['a number', 12],
    ['an object', { e: 'trade' }],
    ['an array of non-buffers', ['a', 'b']],
    ['a Uint16Array', new Uint16Array(4)],
  ])('rejects %s as invalid_json without throwing', (_name, frame) => {
    expect(parseMarketMessage(frame)).toBe('invalid_json');
  });

  it('survives deep nesting', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(parseMarketMessage(deep, false, 1_000_000)).toBe('invalid_value');
    const deepObject = `{"e":"trade","x":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    expect(parseMarketMessage(deepObject, false, 1_000_000)).toBe('missing_field');
  });

  it('ignores __proto__ and constructor keys (no prototype pollution, no inherited fields)', () => {
    const frame = '{"__proto__":{"e":"trade","s":"BTCUSDT","p":"1","q":"1","S":"buy","T":1},"constructor":{"e":1}}';
    expect(parseMarketMessage(frame)).toBe('missing_field');
    expect(({} as Record<string, unknown>).e).toBeUndefined();
  });

  it('treats invalid UTF-8 as text that fails JSON or values', () => {
    const bad = Buffer.concat([Buffer.from('{"e":"trade","s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect(parseMarketMessage(bad)).toBe('missing_field');
    expect(parseMarketMessage(Buffer.from([0xc3, 0x28, 0xa0, 0xa1]))).toBe('invalid_json');
  });

  it('rejects a long numeric string without a catastrophic regex', () => {
    const started = performance.now();
    expect(parse({ ...trade, p: `${'9'.repeat(50_000)}x` })).toBe('invalid_value');
    expect(performance.now() - started).toBeLessThan(100);
  });
});
