// Paths for monitoring tests; the tool helpers (describeWithTools, startServer, run) come from the
// shared test kit, @ttquant/test-kit.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of monitoring/. */
export const MONITORING = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Absolute path of the repository root. */
export const REPO = join(MONITORING, '..');

/**
 * Absolute path of a file under monitoring/.
 *
 * @param parts - path segments below monitoring/
 * @returns the joined path
 */
export function monitoringPath(...parts: string[]): string {
  return join(MONITORING, ...parts);
}
