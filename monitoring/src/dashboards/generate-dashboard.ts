import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type DashboardConfig, defaultDashboardConfig } from './config.js';
import { buildTtquantDashboard } from './ttquant.js';

/** Where the committed dashboard lives; Grafana's file provider reads this folder. */
export const GENERATED_DASHBOARD_PATH = fileURLToPath(
  new URL('../../generated/dashboards/ttquant.json', import.meta.url),
);

/** The command that rewrites {@link GENERATED_DASHBOARD_PATH}, for stale-file messages. */
export const REGENERATE_DASHBOARD_COMMAND = 'npm run monitoring:generate';

/**
 * The dashboard as the exact text committed to the repository.
 *
 * @param config - datasource and selectors; default the committed configuration
 * @returns pretty-printed JSON with a trailing newline
 */
export function renderDashboardJson(config: DashboardConfig = defaultDashboardConfig): string {
  return `${JSON.stringify(buildTtquantDashboard(config), null, 2)}\n`;
}

/**
 * Writes the generated dashboard.
 *
 * @param path - target file; default {@link GENERATED_DASHBOARD_PATH}
 * @param config - datasource and selectors
 * @returns the path written
 * @example
 * ```ts
 * import { writeDashboard } from './dashboards/generate-dashboard.js';
 * writeDashboard();
 * ```
 */
export function writeDashboard(
  path: string = GENERATED_DASHBOARD_PATH,
  config: DashboardConfig = defaultDashboardConfig,
): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderDashboardJson(config));
  return path;
}

// Run directly (`npx tsx monitoring/src/dashboards/generate-dashboard.ts`): write the file.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = writeDashboard();
  console.log(`wrote ${relative(process.cwd(), path)}`);
}
