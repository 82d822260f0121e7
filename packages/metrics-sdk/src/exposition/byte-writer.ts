/**
 * An append-only byte buffer that grows by half and is reused across renders, so a scrape
 * allocates nothing once the buffer has reached its working size.
 *
 * @internal
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Forgets the content, keeps the memory. */
  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far: a view into the reused buffer, valid until the next write. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Makes room for `extra` more bytes, growing by half (not doubling: a 70 MB body then wastes ≤ 35 MB). */
  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, Math.floor(Math.max(this.buf.length, 1) * 1.5)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * Sizes the buffer for a body of about `expected` bytes plus `headroom` (a fraction): grows it
   * once up front instead of in steps, and gives back memory when the buffer is well over that.
   */
  fit(expected: number, headroom = 0.125): void {
    const want = Math.ceil(expected * (1 + headroom)) + 1024;
    if (this.buf.length < want || this.buf.length > want * 1.15) this.buf = Buffer.allocUnsafe(want);
    this.pos = 0;
  }

  /** Appends pre-rendered bytes. */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.ensure(n);
    const buf = this.buf;
    // Below ~12 bytes a byte loop beats TypedArray#set's fixed cost (~10 ns on Node 24); above, set
    // wins (45 B: loop 48 ns, set 14 ns). Never set() a subarray here: creating the view costs more
    // than the copy (36 ns) and makes garbage on every line.
    if (n < 12) {
      let pos = this.pos;
      for (let i = 0; i < n; i++) buf[pos++] = src[i] as number;
      this.pos = pos;
    } else {
      buf.set(src, this.pos);
      this.pos += n;
    }
  }

  /** Appends one ASCII byte. */
  byte(code: number): void {
    this.ensure(1);
    this.buf[this.pos++] = code;
  }

  /** Appends an ASCII-only string (numbers, keywords). */
  ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  /** Appends any string as UTF-8 (label values that may hold any character). */
  utf8(text: string): void {
    this.ensure(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** Appends a number as the exposition spells it: integers by an itoa fast path, else shortest round-trip. */
  number(value: number): void {
    if (Number.isSafeInteger(value) && value >= 0) {
      if (value === 0) {
        if (Object.is(value, -0)) this.ascii('-0');
        else this.byte(0x30);
        return;
      }
      this.ensure(16);
      const buf = this.buf;
      let digits = 0;
      for (let v = value; v > 0; v = Math.floor(v / 10)) digits++;
      let pos = this.pos + digits;
      this.pos = pos;
      for (let v = value; v > 0; v = Math.floor(v / 10)) buf[--pos] = 0x30 + (v % 10);
      return;
    }
    this.ascii(formatNumber(value));
  }
}

/**
 * Spells a sample value the way Prometheus and OpenMetrics expect: `+Inf`, `-Inf`, `NaN`, and
 * otherwise the shortest string that round-trips (ECMAScript Number::toString; Go's ParseFloat and
 * Python's float() both read its exponent form, e.g. `1e+21`).
 *
 * @param value - any number
 * @returns its exposition spelling
 */
export function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}
