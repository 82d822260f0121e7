import type { Exemplars } from '../storage/series-reader.js';
import { type ByteWriter, formatNumber } from './byte-writer.js';
import { escapeLabelValue } from './escape.js';

// An exemplar in OpenMetrics 1.0 text ("Exemplars"): appended to a counter's `_total` sample or a
// histogram's `_bucket` sample, after its value, as ` # {labels} value timestamp`. The timestamp is
// always written: without one Prometheus gives the exemplar each scrape's time and stores the same
// exemplar again at every scrape.

const SPACE = 0x20;
const COMMA = 0x2c;
const QUOTE = 0x22;

/**
 * Appends the exemplar of `slot`, if it has one, to the sample line being written (before its
 * newline). Labels not given in the exemplar are left out.
 *
 * @param out - the body being written
 * @param exemplars - the family's exemplars
 * @param slot - the series offset (counter) or `offset * stride + bucket` (histogram)
 * @internal
 */
export function writeOpenMetricsExemplar(out: ByteWriter, exemplars: Exemplars, slot: number): void {
  const time = exemplars.times[slot] as number;
  if (time === 0) return;
  const { labelNames, labelValues } = exemplars;
  const width = labelNames.length;
  out.ascii(' # {');
  let first = true;
  for (let i = 0; i < width; i++) {
    const value = labelValues[slot * width + i] as string;
    if (value === '') continue;
    if (!first) out.byte(COMMA);
    first = false;
    out.ascii(labelNames[i] as string);
    out.ascii('="');
    out.utf8(escapeLabelValue(value));
    out.byte(QUOTE);
  }
  out.ascii('} ');
  out.number(exemplars.values[slot] as number);
  out.byte(SPACE);
  out.ascii(formatNumber(time / 1000));
}
