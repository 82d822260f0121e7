// alloc: bytes allocated per record call, for exactly the operations bench/hot times.

import { allocPerOp, allocRuns, finish, type Group, progress, type Row, requireGc, suiteArgs } from './harness.js';
import { LABEL_SETS, type RecordKind, recordCases } from './peers.js';

const args = suiteArgs();
requireGc();

const cases = recordCases();
const runs = allocRuns(args.quick);
const groups: Group[] = [];

// The harness's own loop, to show the method reads 0 for code that allocates nothing.
let sink = 0;
const baseline = allocPerOp(
  () => {
    for (let i = 0; i < LABEL_SETS; i++) sink += i;
  },
  { ops: LABEL_SETS, quick: args.quick },
);

for (const kind of ['counter', 'gauge', 'histogram'] as const satisfies readonly RecordKind[]) {
  const rows: Row[] = [];
  for (const c of cases[kind]) {
    progress(`alloc ${kind}: ${c.id}`);
    const a = allocPerOp(c.run, { ops: LABEL_SETS, quick: args.quick });
    rows.push({ id: c.id, label: c.label, value: a.bytesPerOp, extra: { gcs: a.collections } });
  }
  groups.push({
    title: `${kind}: bytes allocated per record call`,
    unit: 'B',
    refs: [],
    extras: [{ key: 'gcs', label: 'GCs per run' }],
    rows,
  });
}

finish(
  {
    suite: 'alloc: garbage per record call',
    quick: args.quick,
    groups,
    notes: [
      `Method: warm the function up, force a GC, then run it ${runs.calls.toLocaleString('en-US')} times ` +
        `(${LABEL_SETS} label sets each) under V8's GCProfiler: allocated = (heap after − heap before) + ` +
        `Σ over collections (before − after). Median of ${runs.reps} runs. A plain heapUsed delta (or ` +
        "mitata's heap counter, which discards negative deltas) under-counts whenever a scavenge runs mid-loop.",
      `Method check: an empty loop reads ${baseline.bytesPerOp.toFixed(3)} B/op (sink ${sink > 0 ? 'live' : 'dead'}).`,
      'A fraction of a byte per call means an occasional allocation (e.g. a map resize), not one per call.',
    ],
  },
  args,
);
