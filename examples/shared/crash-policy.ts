import type { Logger } from './logger.js';

// One policy for every example service on a bug that escapes (an uncaught exception or an unhandled
// rejection): after one, the process's state can no longer be trusted, so going on would serve
// half-broken; exiting silently would hide it. So: log it at fatal with the error, give the
// service's own close a bounded time to do what it can (flush the tick buffer, drain orders), and
// exit 1 for the supervisor (the demo runner, Compose's restart policy, systemd) to restart it.
// Peers' bad input never gets here: it is counted where it arrives.

/** Default of {@link ExitOnCrashOptions.graceMs}. */
export const CRASH_GRACE_MS = 5_000;

/** Options of {@link exitOnCrash}. */
export interface ExitOnCrashOptions {
  readonly logger: Logger;
  /** The service's close, if it has started; its failure or a hang past `graceMs` still exits 1. */
  readonly close: () => Promise<unknown> | undefined;
  /** How long the close may take before the process exits anyway. */
  readonly graceMs?: number;
}

/**
 * Installs the policy: on an uncaught exception or an unhandled rejection, log at fatal, close
 * within `graceMs`, exit 1. A second one while closing only adds its log line.
 *
 * @param options - the logger and the service's close
 */
export function exitOnCrash(options: ExitOnCrashOptions): void {
  let crashing = false;
  const crash = (kind: string, error: unknown): void => {
    options.logger.fatal({ err: error }, `${kind}; closing and exiting 1`);
    if (crashing) return;
    crashing = true;
    setTimeout(() => process.exit(1), options.graceMs ?? CRASH_GRACE_MS).unref();
    Promise.resolve()
      .then(() => options.close())
      .catch((closeError: unknown) => options.logger.error({ err: closeError }, 'close failed after a crash'))
      .finally(() => process.exit(1));
  };
  process.on('uncaughtException', (error) => crash('uncaught exception', error));
  process.on('unhandledRejection', (reason) => crash('unhandled rejection', reason));
}
