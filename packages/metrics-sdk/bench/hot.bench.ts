// hot: ns per record call, this SDK (bound and unbound) against prom-client 15, OTel sdk-metrics 3
// and a raw Float64Array floor, all on the same 200 label sets (4 exchanges × 50 symbols).

import { finish, type Group, progress, type Row, requireGc, suiteArgs, type Timing, time } from './harness.js';
import { LABEL_SETS, type RecordKind, recordCases } from './peers.js';

const args = suiteArgs();
requireGc();

// Rounds run every case of a kind in turn, and each row reports its median round: on a shared
// machine a burst of load then hits one round of every case rather than all rounds of one case.
const ROUNDS = args.quick ? 1 : 3;

const cases = recordCases();
const groups: Group[] = [];
for (const kind of ['counter', 'gauge', 'histogram'] as const satisfies readonly RecordKind[]) {
  const timings: Timing[][] = cases[kind].map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases[kind].entries()) {
      progress(`hot ${kind} round ${round + 1}/${ROUNDS}: ${c.id}`);
      timings[i]?.push(await time(c.run, { ops: LABEL_SETS, quick: args.quick }));
    }
  }
  const rows: Row[] = cases[kind].map((c, i) => {
    const sorted = [...(timings[i] ?? [])].sort((a, b) => a.p50 - b.p50);
    const t = sorted[sorted.length >> 1] as Timing;
    return { id: c.id, label: c.label, value: t.p50, p75: t.p75, p99: t.p99 };
  });
  groups.push({
    title: `${kind}: ns per record call`,
    unit: 'ns',
    floor: 'raw',
    refs: [
      { id: 'prom.labelled', label: 'prom-client labelled' },
      { id: 'prom.child', label: 'prom-client child' },
      { id: 'otel', label: 'OTel' },
    ],
    rows,
  });
}

finish(
  {
    suite: 'hot: record path',
    quick: args.quick,
    groups,
    notes: [
      `Each sample runs one pass over the ${LABEL_SETS} label sets (4 exchanges × 50 symbols, labels exchange/symbol/type) ` +
        `and mitata batches 4,096 passes; shown is the per-call median of the median of ${ROUNDS} interleaved ` +
        'round(s). Bound and raw cases use preallocated ' +
        'handles/offsets; unbound cases build `{exchange, symbol, type}` at the call site.',
      'Values are 200 deterministic, fractional latency-like samples spread over all 13 buckets.',
      '"× floor" is this row ÷ the raw floor; "X ÷ this" is how many times faster this row is than X.',
      'The second row is the floor read through a per-series object, the indirection any bound-handle API ' +
        'adds; a handle cannot beat it, so compare a bound handle with both rows.',
    ],
  },
  args,
);
