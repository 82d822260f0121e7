import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StackLayout } from './layout.js';
import { runCommand } from './tools.js';

// `backup`: one tar.gz of the stack's configuration and data. With Prometheus' admin API on, the
// TSDB part is a snapshot (consistent hard links); otherwise the live folders are copied, which is
// safe for the immutable blocks but may catch the WAL mid-write.

/** What `backup` wrote. */
export interface BackupResult {
  readonly archive: string;
  /** `snapshot` (admin API) or `copy`. */
  readonly method: 'snapshot' | 'copy';
  /** What went in, relative to the project folder. */
  readonly contents: readonly string[];
}

async function snapshot(prometheusUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${prometheusUrl}/api/v1/admin/tsdb/snapshot`, {
      method: 'POST',
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) return undefined; // admin API off: 404 or 405
    const body = (await response.json()) as { status: string; data?: { name?: string } };
    return body.status === 'success' ? body.data?.name : undefined;
  } catch {
    return undefined; // not running
  }
}

/**
 * Writes `backups/monitoring-<time>.tar.gz` with the configuration, Prometheus' TSDB (snapshot or
 * copy) and Alertmanager's state. The private PostgreSQL cluster is left out: it holds nothing but
 * what the exporter watches.
 *
 * @param layout - the layout
 * @param prometheusUrl - the running Prometheus, asked for a snapshot
 * @param now - clock, for the archive name
 * @returns the archive and how the TSDB was captured
 * @throws Error when tar fails or there is nothing to back up
 */
export async function backupNative(
  layout: StackLayout,
  prometheusUrl: string,
  now: () => Date = () => new Date(),
): Promise<BackupResult> {
  const name = await snapshot(prometheusUrl);
  const tsdb = join(layout.data, 'prometheus');
  const parts = [
    layout.config,
    name === undefined ? tsdb : join(tsdb, 'snapshots', name),
    join(layout.data, 'alertmanager'),
    join(layout.data, 'prometheus-receiver'),
  ].filter((p) => existsSync(p));
  if (parts.length === 0) throw new Error(`nothing to back up under ${layout.root}`);
  mkdirSync(layout.backups, { recursive: true });
  const stamp = now().toISOString().replace(/[:.]/g, '-');
  const archive = join(layout.backups, `monitoring-${stamp}.tar.gz`);
  const contents = parts.map((p) => relative(layout.root, p));
  try {
    const tar = await runCommand('tar', ['-czf', archive, '-C', layout.root, ...contents], { timeoutMs: 600_000 });
    // GNU tar exits 1 when a file changed while it was read (a live WAL): the archive is still written.
    if (tar.code !== 0 && !(tar.code === 1 && name === undefined)) throw new Error(`tar failed: ${tar.stderr.trim()}`);
  } finally {
    if (name !== undefined) rmSync(join(tsdb, 'snapshots', name), { recursive: true, force: true });
  }
  return { archive, method: name === undefined ? 'copy' : 'snapshot', contents };
}
