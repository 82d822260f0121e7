// Setup file of the vitest project `unit` (vitest.config.ts): the inner loop starts no process. A
// test file lands in `unit` unless it is listed in `integration`, so a new file that spawns a tool or
// a service would quietly slow the loop down and make it depend on what is installed; here every way
// node:child_process starts one throws instead, naming the file and what to do.
//
// The module object is patched, then syncBuiltinESMExports() carries the change to the named ESM
// exports, so `import { spawn } from 'node:child_process'`, a default import and require() all see it.
// Vitest's own processes (the workers, the type checker) are started by the main process, which this
// file never runs in.

import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { expect } from 'vitest';

/** What the error says. */
export const NO_PROCESSES_MESSAGE =
  'unit tests start no processes; list this file in the integration project in vitest.config.ts';

/** The node:child_process functions that start a process. */
export const PROCESS_STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

/** Thrown by a node:child_process function called in a `unit` test file. */
export class ProcessInUnitTestError extends Error {
  override readonly name = 'ProcessInUnitTestError';

  /**
   * @param fn - the child_process function that was called
   * @param command - the command it was asked to start
   * @param testPath - the test file
   */
  constructor(
    readonly fn: string,
    readonly command: string,
    readonly testPath: string,
  ) {
    super(`${fn}(${JSON.stringify(command)}) in ${testPath}: ${NO_PROCESSES_MESSAGE}`);
  }
}

const patchable = childProcess as unknown as Record<string, unknown>;
for (const fn of PROCESS_STARTERS) {
  patchable[fn] = (command: unknown): never => {
    throw new ProcessInUnitTestError(fn, String(command), expect.getState().testPath ?? 'a unit test');
  };
}
syncBuiltinESMExports();
