// The one reader of Prometheus text exposition (format 0.0.4) for assertions in tests. Tests read a
// value from the rendered text, never through a call that creates what it checks (a `bind()` makes
// the series), so a series that was never recorded reads as `undefined` instead of a fresh 0.
// Strict on purpose: a line it cannot read is an error, not a skipped line.

/** Label name to (unescaped) label value. */
export type Labels = Readonly<Record<string, string>>;

/** One sample line of an exposition. */
export interface Sample {
  /** The sample's name as written: a histogram's lines are `<name>_bucket`, `_sum` and `_count`. */
  readonly name: string;
  /** Its labels, unescaped (`\\`, `\"` and `\n` read back as `\`, `"` and a line feed). */
  readonly labels: Labels;
  /** Its value; `+Inf`, `-Inf` and `NaN` read as the numbers they spell. */
  readonly value: number;
  /** The optional timestamp (ms since the epoch), when the line carries one. */
  readonly timestamp?: number;
}

/** A parsed exposition body; see {@link readExposition}. */
export class Exposition {
  /** Every sample, in body order. */
  readonly samples: readonly Sample[];
  /** `# TYPE` lines: metric name to its type (`counter`, `gauge`, `histogram`, `summary`, `untyped`). */
  readonly types: ReadonlyMap<string, string>;
  /** `# HELP` lines: metric name to its text, unescaped. */
  readonly help: ReadonlyMap<string, string>;
  readonly #byName = new Map<string, Sample[]>();
  readonly #byFamily: ReadonlyMap<string, readonly Sample[]>;

  /**
   * Use {@link readExposition}.
   *
   * @param samples - the samples in body order
   * @param types - the TYPE lines
   * @param help - the HELP lines
   * @param byFamily - metric family (named by a HELP or TYPE line) to the samples written under it
   */
  constructor(
    samples: readonly Sample[],
    types: ReadonlyMap<string, string>,
    help: ReadonlyMap<string, string>,
    byFamily: ReadonlyMap<string, readonly Sample[]>,
  ) {
    this.samples = samples;
    this.types = types;
    this.help = help;
    this.#byFamily = byFamily;
    for (const sample of samples) {
      const list = this.#byName.get(sample.name);
      if (list === undefined) this.#byName.set(sample.name, [sample]);
      else list.push(sample);
    }
  }

  /**
   * The value of the one series with exactly these labels (no more, no fewer).
   *
   * @param name - the sample name, e.g. `orders_total` or `latency_ms_bucket`
   * @param labels - every label of the series; omit for a series without labels
   * @returns its value, or `undefined` when no such series exists
   * @throws Error when the body holds the series twice
   * @example
   * ```ts
   * expect(readExposition(body).value('orders_total', { exchange: 'binance' })).toBe(3);
   * ```
   */
  value(name: string, labels: Labels = {}): number | undefined {
    const keys = Object.keys(labels);
    let found: Sample | undefined;
    for (const sample of this.#byName.get(name) ?? []) {
      if (Object.keys(sample.labels).length !== keys.length || !includes(sample.labels, labels)) continue;
      if (found !== undefined) throw new Error(`exposition: ${seriesText(name, labels)} appears twice`);
      found = sample;
    }
    return found?.value;
  }

  /**
   * The samples named `name` whose labels include `where` (other labels may differ).
   *
   * @param name - the sample name
   * @param where - labels every returned sample has; omit for all samples of that name
   * @returns the matching samples, in body order
   */
  select(name: string, where: Labels = {}): Sample[] {
    return (this.#byName.get(name) ?? []).filter((sample) => includes(sample.labels, where));
  }

  /**
   * The sum of the samples named `name` whose labels include `where`.
   *
   * @param name - the sample name
   * @param where - labels every summed sample has; omit to sum all samples of that name
   * @returns the sum, or `undefined` when no sample matches (never a made-up 0)
   */
  sum(name: string, where: Labels = {}): number | undefined {
    const matching = this.select(name, where);
    return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
  }

  /**
   * The distinct sample names, in the order they first appear.
   *
   * @returns the names
   */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /**
   * The metric families named by HELP or TYPE lines, in body order, also those without samples.
   *
   * @returns the family names
   */
  families(): string[] {
    return [...this.#byFamily.keys()];
  }

  /**
   * The samples written under one family's HELP/TYPE lines and named as its own: the family name, or
   * for a histogram or summary the name with `_bucket`, `_sum` or `_count`.
   *
   * @param name - the family name
   * @returns its samples in body order; none for a family the body does not name
   */
  family(name: string): readonly Sample[] {
    return this.#byFamily.get(name) ?? [];
  }
}

/**
 * Parses a text exposition body (format 0.0.4): sample lines, `# HELP` and `# TYPE`; other comments
 * and blank lines are skipped.
 *
 * @param body - the body, as text or UTF-8 bytes
 * @returns the parsed body
 * @throws Error naming the line number for a line that is not a valid sample or HELP/TYPE line
 * @example
 * ```ts
 * const exposed = readExposition(new PrometheusWriter([metrics], { selfMetrics: false }).renderText());
 * expect(exposed.value('orders_total', { exchange: 'binance', side: 'buy' })).toBe(1);
 * expect(exposed.value('orders_total', { exchange: 'okx', side: 'buy' })).toBeUndefined();
 * expect(exposed.sum('orders_total', { exchange: 'binance' })).toBe(3);
 * ```
 */
export function readExposition(body: string | Uint8Array): Exposition {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const byFamily = new Map<string, Sample[]>();
  let family: { name: string; samples: Sample[] } | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^[ \t]*$/.test(line)) continue;
    try {
      if (line.startsWith('#')) {
        const name = readComment(line, types, help);
        if (name === undefined) continue;
        family = { name, samples: byFamily.get(name) ?? [] };
        byFamily.set(name, family.samples);
      } else {
        const sample = new LineReader(line).sample();
        samples.push(sample);
        if (family !== undefined && inFamily(sample.name, family.name)) family.samples.push(sample);
      }
    } catch (error) {
      throw new Error(`exposition line ${i + 1}: ${(error as Error).message}: ${JSON.stringify(line)}`);
    }
  }
  return new Exposition(samples, types, help, byFamily);
}

// Sticky: matched where the reader stands, without slicing the line.
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const VALUE = /\S+/y;
const TIMESTAMP = /-?\d+/y;
// Go's strconv.ParseFloat, which Prometheus uses, for the decimal forms a writer emits.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Reads a comment line; returns the family a HELP or TYPE line names. */
function readComment(line: string, types: Map<string, string>, help: Map<string, string>): string | undefined {
  const match = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(line);
  if (match === null) return undefined; // a plain comment
  const [, keyword, name, rest = ''] = match as unknown as [string, string, string, string | undefined];
  if (keyword === 'TYPE') {
    if (!/^(?:counter|gauge|histogram|summary|untyped)$/.test(rest)) throw new Error(`unknown type "${rest}"`);
    types.set(name, rest);
  } else {
    // HELP escapes only backslash and line feed; any other backslash is literal.
    help.set(
      name,
      rest.replace(/\\([\\n])/g, (_, ch: string) => (ch === 'n' ? '\n' : '\\')),
    );
  }
  return name;
}

/** Reads one sample line left to right. */
class LineReader {
  #line: string;
  #at = 0;

  constructor(line: string) {
    this.#line = line;
  }

  sample(): Sample {
    const name = this.#token(METRIC_NAME, 'a metric name');
    let blanks = this.#blanks();
    let labels: Record<string, string> = Object.create(null);
    if (this.#peek() === '{') {
      labels = this.#labels();
      blanks = this.#blanks();
    }
    if (blanks === 0 || this.#at === this.#line.length) throw new Error('expected a space before the value');
    const value = parseValue(this.#token(VALUE, 'a value'));
    blanks = this.#blanks();
    let timestamp: number | undefined;
    if (this.#at < this.#line.length) {
      if (blanks === 0) throw new Error('expected a space before the timestamp');
      const raw = this.#token(TIMESTAMP, 'an integer timestamp');
      timestamp = Number(raw);
      this.#blanks();
    }
    if (this.#at < this.#line.length) throw new Error(`unexpected text at column ${this.#at + 1}`);
    return timestamp === undefined ? { name, labels, value } : { name, labels, value, timestamp };
  }

  #labels(): Record<string, string> {
    // No prototype: a label named `__proto__` or `constructor` is just a label.
    const labels: Record<string, string> = Object.create(null);
    this.#at++; // '{'
    for (;;) {
      this.#blanks();
      if (this.#peek() === '}') break;
      const label = this.#token(LABEL_NAME, 'a label name');
      this.#blanks();
      this.#expect('=');
      this.#blanks();
      this.#expect('"');
      if (Object.hasOwn(labels, label)) throw new Error(`label "${label}" given twice`);
      labels[label] = this.#quoted();
      this.#blanks();
      if (this.#peek() === ',') this.#at++;
      else if (this.#peek() !== '}') throw new Error(`expected "," or "}" at column ${this.#at + 1}`);
    }
    this.#at++; // '}'
    return labels;
  }

  /** A label value after its opening quote, up to and including the closing one. */
  #quoted(): string {
    let out = '';
    for (;;) {
      const ch = this.#line[this.#at++];
      if (ch === undefined) throw new Error('unterminated label value');
      if (ch === '"') return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const escaped = this.#line[this.#at++];
      if (escaped === '\\' || escaped === '"') out += escaped;
      else if (escaped === 'n') out += '\n';
      else throw new Error(`invalid escape "\\${escaped ?? ''}" in a label value`);
    }
  }

  #token(pattern: RegExp, what: string): string {
    pattern.lastIndex = this.#at;
    const match = pattern.exec(this.#line);
    if (match === null) throw new Error(`expected ${what} at column ${this.#at + 1}`);
    this.#at += match[0].length;
    return match[0];
  }

  #expect(ch: string): void {
    if (this.#peek() !== ch) throw new Error(`expected "${ch}" at column ${this.#at + 1}`);
    this.#at++;
  }

  #peek(): string | undefined {
    return this.#line[this.#at];
  }

  /** Skips spaces and tabs. */
  #blanks(): number {
    const from = this.#at;
    while (this.#peek() === ' ' || this.#peek() === '\t') this.#at++;
    return this.#at - from;
  }
}

function parseValue(raw: string): number {
  if (/^[+]?inf(?:inity)?$/i.test(raw)) return Number.POSITIVE_INFINITY;
  if (/^-inf(?:inity)?$/i.test(raw)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(raw)) return Number.NaN;
  if (!DECIMAL.test(raw)) throw new Error(`invalid value "${raw}"`);
  return Number(raw);
}

/** Whether a sample name is its family's: the name itself, or a histogram's or summary's suffixed lines. */
function inFamily(sample: string, family: string): boolean {
  return (
    sample === family || (sample.startsWith(family) && /^_(?:bucket|sum|count)$/.test(sample.slice(family.length)))
  );
}

function includes(labels: Labels, where: Labels): boolean {
  for (const key of Object.keys(where)) if (!Object.hasOwn(labels, key) || labels[key] !== where[key]) return false;
  return true;
}

function seriesText(name: string, labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}
