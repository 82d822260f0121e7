// The Node flags every service of the examples runs with, whichever way it is started: the
// pipeline's process tree (demo, soak, tests), the npm scripts and the Docker image. Each launcher
// names them; node-flags.test.ts checks they agree.
//
// V8 grows each isolate's young generation as the allocation rate rises, up to 64 MB per semi-space
// on a 64-bit machine with this much memory, and keeps it: market data has four isolates (its own,
// the feed thread, the /metrics thread, the PGlite thread), and at 3,000 ticks/s its main and PGlite
// threads reached 165 and 158 MB of heap (134 MB of the first in new space), its RSS still climbing
// after 9 minutes (521 → 651 MB). With semi-spaces of 16 MB the young generations are at their size
// within seconds, and the RSS saws between about 470 and 550 MB with no trend. A scavenge of 16 MB
// is short: over an hour at the demo's load the event-loop delay's p99 peaked at 16 ms, as before
// the cap (docs/soak.md).

/** Flags passed to `node` for each example service; V8 applies them to every thread's isolate. */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
