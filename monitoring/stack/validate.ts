import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALERTMANAGER_CONFIG_PATHS } from '../src/alertmanager-config.js';
import { RULES_PATHS } from '../src/outputs.js';
import { PROMETHEUS_CONFIG_PATHS } from '../src/prometheus-config.js';
import { MONITORING_DIR } from './layout.js';
import { hasStackTool, installHint, runCommand, type StackTool } from './tools.js';

// `validate`: the committed configuration, checked by the tools that will run it.

/** One validation step. */
export interface ValidationStep {
  /** The command as a user would type it, relative to the repository root. */
  readonly command: string;
  readonly ok: boolean;
  /** The tool's output, trimmed. */
  readonly output: string;
}

/**
 * Runs `promtool check config` (both Prometheus files), `promtool check rules`, `promtool test rules`
 * (monitoring/tests/*.yaml) and `amtool check-config` (both Alertmanager files) on the committed files.
 *
 * @param monitoringDir - the monitoring/ folder (tests pass a copy to prove a broken file fails)
 * @returns one step per command; a missing tool is a failed step that says what to install
 * @example
 * ```ts
 * const steps = await validateConfigs();
 * process.exitCode = steps.every((s) => s.ok) ? 0 : 1;
 * ```
 */
export async function validateConfigs(monitoringDir: string = MONITORING_DIR): Promise<ValidationStep[]> {
  const ruleTests = readdirSync(join(monitoringDir, 'tests'))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => `tests/${f}`);
  const steps: { tool: StackTool; verb: string[]; files: string[] }[] = [
    ...Object.values(PROMETHEUS_CONFIG_PATHS).map((p) => ({
      tool: 'promtool' as const,
      verb: ['check', 'config'],
      files: [p],
    })),
    { tool: 'promtool', verb: ['check', 'rules'], files: [RULES_PATHS.recording, RULES_PATHS.alerts] },
    { tool: 'promtool', verb: ['test', 'rules'], files: ruleTests },
    ...Object.values(ALERTMANAGER_CONFIG_PATHS).map((p) => ({
      tool: 'amtool' as const,
      verb: ['check-config'],
      files: [p],
    })),
  ];
  return Promise.all(
    steps.map(async ({ tool, verb, files }): Promise<ValidationStep> => {
      const command = [tool, ...verb, ...files.map((f) => `monitoring/${f}`)].join(' ');
      const args = [...verb, ...files];
      if (!hasStackTool(tool)) return { command, ok: false, output: `${tool} not installed: ${installHint([tool])}` };
      // Run inside monitoring/: promtool resolves rule files against the config's folder either way,
      // and `test rules` names its rule files relative to each test file.
      const result = await runCommand(tool, args, { cwd: monitoringDir, timeoutMs: 60_000 });
      return { command, ok: result.code === 0, output: (result.stdout + result.stderr).trim() };
    }),
  );
}
