import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The one policy on an escaped bug, in real processes: fatal log line, the service's close given
// its time, exit 1; and every service's entry point installs it.

const POLICY = fileURLToPath(new URL('./crash-policy.ts', import.meta.url));
const LOGGER = fileURLToPath(new URL('./logger.ts', import.meta.url));

/** Runs a script with the policy installed; `close` is the service close's body. */
function crashWith(trigger: string, close: string, graceMs = 2_000) {
  const script = `
    import { exitOnCrash } from ${JSON.stringify(POLICY)};
    import { createLogger } from ${JSON.stringify(LOGGER)};
    exitOnCrash({ logger: createLogger('crash-test', { LOG_LEVEL: 'info' }), close: ${close}, graceMs: ${graceMs} });
    setInterval(() => {}, 1000);
    setTimeout(() => { ${trigger} }, 10);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const lines = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } });
  return { code: run.status, lines, stdout: run.stdout };
}

describe('the crash policy of the example services', () => {
  it('logs an uncaught exception at fatal, closes the service, and exits 1', () => {
    const run = crashWith(`throw new Error('boom')`, `async () => console.log('closed')`);
    expect(run.code).toBe(1);
    expect(run.lines).toContainEqual(
      expect.objectContaining({
        level: 60,
        msg: 'uncaught exception; closing and exiting 1',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    );
    expect(run.stdout).toContain('closed');
  });

  it('does the same for an unhandled rejection, and exits 1 when the close hangs past its grace', () => {
    const run = crashWith(`void Promise.reject(new Error('lost'))`, `() => new Promise(() => {})`, 300);
    expect(run.code).toBe(1);
    expect(run.lines).toContainEqual(
      expect.objectContaining({ level: 60, msg: 'unhandled rejection; closing and exiting 1' }),
    );
  });

  it('is installed by the entry point of every service', () => {
    for (const main of [
      '../market-data/main.ts',
      '../gateway/main.ts',
      '../strategy-engine/main.ts',
      '../fixtures/exchange/main.ts',
    ]) {
      const text = readFileSync(fileURLToPath(new URL(main, import.meta.url)), 'utf8');
      expect(text, main).toMatch(/exitOnCrash\(\{ logger/);
      expect(text, main).not.toMatch(/process\.on\('(uncaughtException|unhandledRejection)'/);
    }
  });
});
