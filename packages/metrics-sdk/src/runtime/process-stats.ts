import { readdirSync, readFileSync } from 'node:fs';

// Readers of the process figures behind the `process_*` runtime metrics. Each returns `undefined`
// when the platform cannot give the figure (no procfs outside Linux, a sandbox without /proc), so
// the caller leaves that series unset; none throws. Reading procfs synchronously is what
// prom-client and libuv (process.memoryUsage) do: its files are kernel data, and a read never
// waits on a disk.

/** Memory figures of `/proc/self/status`, in bytes. @internal */
export interface ProcStatus {
  /** `VmRSS`: resident set size. */
  readonly rss: number | undefined;
  /** `VmSize`: virtual memory size. */
  readonly virtual: number | undefined;
  /** `VmData`: size of the data segment, which holds the malloc heap. */
  readonly data: number | undefined;
}

/**
 * Parses the memory lines of a `/proc/<pid>/status` text (`VmRSS:    41236 kB`).
 *
 * @param text - the file's content
 * @returns each figure in bytes, `undefined` when its line is missing or malformed
 * @internal
 */
export function parseProcStatus(text: string): ProcStatus {
  return { rss: kilobytes(text, VM_RSS), virtual: kilobytes(text, VM_SIZE), data: kilobytes(text, VM_DATA) };
}

const VM_RSS = /^VmRSS:\s*(\d+) kB$/m;
const VM_SIZE = /^VmSize:\s*(\d+) kB$/m;
const VM_DATA = /^VmData:\s*(\d+) kB$/m;

function kilobytes(text: string, line: RegExp): number | undefined {
  const match = line.exec(text);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/**
 * Reads `/proc/self/status` (Linux).
 *
 * @returns the memory figures, or `undefined` without procfs
 * @internal
 */
export function readProcStatus(): ProcStatus | undefined {
  try {
    return parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Counts the open file descriptors in `/proc/self/fd` (Linux).
 *
 * @returns the count, or `undefined` without procfs
 * @internal
 */
export function countOpenFds(): number | undefined {
  try {
    // Less the descriptor readdirSync itself held open while listing (closed again by now).
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/**
 * Parses the soft `Max open files` limit of a `/proc/<pid>/limits` text.
 *
 * @param text - the file's content
 * @returns the limit, or `undefined` when the line is missing or the limit is `unlimited`
 * @internal
 */
export function parseMaxOpenFiles(text: string): number | undefined {
  // Columns are padded with runs of spaces; a limit's name has single spaces.
  const match = /^Max open files {2,}(\d+) /m.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Reads the soft limit on open file descriptors from `/proc/self/limits` (Linux).
 *
 * @returns the limit, or `undefined` without procfs or when unlimited
 * @internal
 */
export function readMaxFds(): number | undefined {
  try {
    return parseMaxOpenFiles(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The resident set size from `process.memoryUsage.rss()`, for platforms without procfs. It throws
 * where libuv cannot read it (prom-client guards it the same way).
 *
 * @returns bytes, or `undefined` when it throws
 * @internal
 */
export function readResidentMemory(): number | undefined {
  try {
    return process.memoryUsage.rss();
  } catch {
    return undefined;
  }
}

/**
 * When the process started, from a wall clock and `process.uptime()`.
 *
 * @param nowMs - the wall clock now, ms since the epoch
 * @returns seconds since the epoch
 * @internal
 */
export function processStartSeconds(nowMs: number): number {
  return Math.round(nowMs - process.uptime() * 1000) / 1000;
}
