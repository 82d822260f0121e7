import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertGroups, recordingGroups } from '../src/rules/index.js';
import { monitoringPath } from './helpers/paths.js';

const TEST_FILES = readdirSync(monitoringPath('tests'))
  .filter((file) => file.endsWith('.yaml'))
  .sort();
const alertNames = (
  parse(readFileSync(monitoringPath('generated/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] }
).groups.flatMap((group) => group.rules.map((rule) => rule.alert));

interface UnitTestFile {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] | null }[] }[];
}

describe('monitoring/tests/*.yaml', () => {
  it('has one file per alert group, loading the generated rules', () => {
    expect(TEST_FILES).toEqual([
      'database.yaml',
      'gateway.yaml',
      'instrumentation.yaml',
      'market-data.yaml',
      'strategy.yaml',
      'system.yaml',
    ]);
    for (const file of TEST_FILES) {
      const doc = parse(readFileSync(monitoringPath('tests', file), 'utf8')) as UnitTestFile;
      expect(doc.rule_files, file).toEqual(['../generated/recording-rules.yml', '../generated/alerts.yml']);
    }
  });

  it('has, for each alert, a case where it fires and one where it stays silent', () => {
    const cases = new Map<string, { fires: number; silent: number }>(
      alertNames.map((name) => [name, { fires: 0, silent: 0 }]),
    );
    for (const file of TEST_FILES) {
      const doc = parse(readFileSync(monitoringPath('tests', file), 'utf8')) as UnitTestFile;
      for (const test of doc.tests) {
        for (const check of test.alert_rule_test ?? []) {
          const count = cases.get(check.alertname);
          expect(count, `${file}: unknown alert ${check.alertname}`).toBeDefined();
          if (count === undefined) continue;
          if ((check.exp_alerts ?? []).length > 0) count.fires += 1;
          else count.silent += 1;
        }
      }
    }
    expect(alertNames).toEqual(alertGroups.flatMap((group) => group.alerts.map((a) => a.rule.alert)));
    const lacking = [...cases]
      .filter(([, c]) => c.fires === 0 || c.silent === 0)
      .map(([name, c]) => `${name} ${JSON.stringify(c)}`);
    expect(lacking).toEqual([]);
  });
});

describeWithTools('promtool', ['promtool'], () => {
  it('check rules: both generated rules files are valid', async () => {
    const result = await run('promtool', [
      'check',
      'rules',
      monitoringPath('generated/recording-rules.yml'),
      monitoringPath('generated/alerts.yml'),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const count = (groups: readonly { length: number }[]) => groups.reduce((n, g) => n + g.length, 0);
    expect(result.stdout).toContain(`SUCCESS: ${count(recordingGroups.map((g) => g.rules))} rules found`);
    expect(result.stdout).toContain(`SUCCESS: ${count(alertGroups.map((g) => g.alerts))} rules found`);
  });

  it('test rules: every unit test in monitoring/tests passes', async () => {
    const result = await run(
      'promtool',
      ['test', 'rules', ...TEST_FILES.map((file) => monitoringPath('tests', file))],
      '',
      60_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
    expect(result.stdout).not.toContain('FAILED');
  });

  it('test rules fails when a threshold drifts (the unit tests can fail)', async () => {
    // Copy the rules and the gateway tests, raise HighOrderLatency from 500 to 1000 ms: its firing
    // case (p99 995 ms) must now fail.
    const dir = mkdtempSync(join(tmpdir(), 'ttquant-promtest-'));
    try {
      mkdirSync(join(dir, 'generated'));
      mkdirSync(join(dir, 'tests'));
      cpSync(monitoringPath('generated/recording-rules.yml'), join(dir, 'generated/recording-rules.yml'));
      cpSync(monitoringPath('tests/gateway.yaml'), join(dir, 'tests/gateway.yaml'));
      const alerts = readFileSync(monitoringPath('generated/alerts.yml'), 'utf8');
      const drifted = alerts.replace(
        'job_exchange:order_processing_latency_ms:p99_1m > 500',
        'job_exchange:order_processing_latency_ms:p99_1m > 1000',
      );
      expect(drifted).not.toBe(alerts);
      writeFileSync(join(dir, 'generated/alerts.yml'), drifted);
      const result = await run('promtool', ['test', 'rules', join(dir, 'tests/gateway.yaml')], '', 60_000);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('alertname: HighOrderLatency');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('test rules fails when an instrumentation alert stops seeing a fold (the unit tests can fail)', async () => {
    // Require more than 1000 folded records: the firing case (120 records) must now fail.
    const dir = mkdtempSync(join(tmpdir(), 'ttquant-promtest-'));
    try {
      mkdirSync(join(dir, 'generated'));
      mkdirSync(join(dir, 'tests'));
      cpSync(monitoringPath('generated/recording-rules.yml'), join(dir, 'generated/recording-rules.yml'));
      cpSync(monitoringPath('tests/instrumentation.yaml'), join(dir, 'tests/instrumentation.yaml'));
      const alerts = readFileSync(monitoringPath('generated/alerts.yml'), 'utf8');
      const drifted = alerts.replace(
        /(increase\(ttquant_metrics_overflow_records_total\{[^}]*\}\[10m\]\)\)) > 0/,
        '$1 > 1000',
      );
      expect(drifted).not.toBe(alerts);
      writeFileSync(join(dir, 'generated/alerts.yml'), drifted);
      const result = await run('promtool', ['test', 'rules', join(dir, 'tests/instrumentation.yaml')], '', 60_000);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('alertname: MetricsCardinalityOverflow');
      expect(result.stdout + result.stderr).not.toContain('alertname: MetricsValuesDropped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
