// The guard of the `unit` project (no-processes.ts, a setup file in vitest.config.ts): this file runs
// in `unit`, so every way of starting a process must throw here, with the advice in the message. It
// imports nothing from the guard at run time, so it fails when the project stops installing it (the
// commands are harmless should one run).

import * as namespace from 'node:child_process';
import childProcess, { exec, execFile, execFileSync, execSync, fork, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ProcessInUnitTestError } from './no-processes.js';

const NO_PROCESSES_MESSAGE =
  'unit tests start no processes; list this file in the integration project in vitest.config.ts';

const named = { spawn, spawnSync, exec, execSync, execFile, execFileSync, fork };
const PROCESS_STARTERS = Object.keys(named) as (keyof typeof named)[];

function thrownBy(start: () => unknown): ProcessInUnitTestError {
  try {
    start();
  } catch (error) {
    expect((error as Error).name).toBe('ProcessInUnitTestError');
    return error as ProcessInUnitTestError;
  }
  throw new Error('expected the process start to throw');
}

describe('the unit project starts no processes', () => {
  it.each(PROCESS_STARTERS)('%s() throws, naming the test file and where to list it', (fn) => {
    const error = thrownBy(() => (named[fn] as (command: string) => unknown)('true'));
    expect(error.fn).toBe(fn);
    expect(error.command).toBe('true');
    expect(error.testPath).toMatch(/no-processes\.test\.ts$/);
    expect(error.message).toContain(NO_PROCESSES_MESSAGE);
  });

  it('throws through every way of reaching node:child_process', async () => {
    const required = createRequire(import.meta.url)('node:child_process') as typeof childProcess;
    const dynamic = await import('node:child_process');
    for (const module of [childProcess, namespace, required, dynamic]) {
      expect(() => module.spawnSync('true')).toThrow(NO_PROCESSES_MESSAGE);
      expect(() => module.fork('x.js')).toThrow(NO_PROCESSES_MESSAGE);
    }
    await expect(promisify(execFile)('true')).rejects.toThrow(NO_PROCESSES_MESSAGE);
  });
});
