import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeWithTools,
  pollUntil,
  run,
  type Server,
  startServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERTMANAGER_CONFIG_PATHS, inhibitRules, renderAlertmanagerConfig } from '../src/alertmanager-config.js';
import { monitoringPath } from './helpers/paths.js';

const files = {
  compose: monitoringPath(ALERTMANAGER_CONFIG_PATHS.compose),
  local: monitoringPath(ALERTMANAGER_CONFIG_PATHS.local),
};
type Route = { receiver: string; matchers?: string[]; group_by?: string[]; continue?: boolean; routes?: Route[] };
const load = (path: string) => parse(readFileSync(path, 'utf8')) as { route: Route; receivers: { name: string }[] };

/** Writes text to a temporary file, passes its path to `body`, then removes it. */
async function withTempFile<T>(name: string, text: string, body: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ttquant-am-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return await body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('alertmanager.yml and its local variant', () => {
  for (const variant of ['compose', 'local'] as const) {
    it(`${variant}: groups by alertname, job, exchange and strategy and routes by severity`, () => {
      const { route } = load(files[variant]);
      expect(route.group_by).toEqual(['alertname', 'job', 'exchange', 'strategy']);
      expect(route.routes?.map((r) => r.matchers)).toEqual([['severity="critical"'], ['severity="warning"']]);
    });
  }

  it('compose: mails critical and warning alerts to different receivers, Slack defined but off', () => {
    const { route, receivers } = load(files.compose);
    expect(route.routes?.map((r) => r.receiver)).toEqual(['email-critical', 'email-warning']);
    expect(receivers.map((r) => r.name)).toEqual(['email-critical', 'email-warning', 'slack-critical']);
  });

  it('compose with Slack on: copies critical alerts to Slack after the mail', () => {
    const { route } = parse(renderAlertmanagerConfig('compose', { slack: true })) as { route: Route };
    expect(route.routes?.map((r) => [r.receiver, r.continue ?? false])).toEqual([
      ['email-critical', true],
      ['slack-critical', false],
      ['email-warning', false],
    ]);
  });

  it('commits no secret: passwords and webhook URLs are read from files', () => {
    for (const text of [readFileSync(files.compose, 'utf8'), renderAlertmanagerConfig('compose', { slack: true })]) {
      const keys: string[] = [];
      JSON.stringify(parse(text), (key, value) => {
        keys.push(key);
        return value;
      });
      for (const secret of ['auth_password', 'smtp_auth_password', 'api_url', 'slack_api_url', 'auth_secret']) {
        expect(keys, secret).not.toContain(secret);
      }
      expect(keys).toContain('auth_password_file');
      expect(keys).toContain('api_url_file');
    }
  });

  it('local: sends everything to the webhook, with resolved notifications', () => {
    const config = parse(readFileSync(files.local, 'utf8')) as {
      receivers: { name: string; webhook_configs: { url: string; send_resolved: boolean }[] }[];
    };
    expect(config.receivers).toEqual([
      { name: 'webhook', webhook_configs: [{ url: 'http://127.0.0.1:5001/alerts', send_resolved: true }] },
    ]);
  });
});

describeWithTools('amtool', ['amtool'], () => {
  for (const variant of ['compose', 'local'] as const) {
    it(`check-config accepts ${ALERTMANAGER_CONFIG_PATHS[variant]}`, async () => {
      const result = await run('amtool', ['check-config', files[variant]]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('SUCCESS');
      expect(result.stdout).toContain(' - 4 inhibit rules');
    });
  }

  it('check-config accepts the Slack-enabled rendering', async () => {
    await withTempFile('alertmanager.yml', renderAlertmanagerConfig('compose', { slack: true }), async (path) => {
      const result = await run('amtool', ['check-config', path]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    });
  });

  it('check-config rejects a route to an undefined receiver (the check can fail)', async () => {
    const broken = readFileSync(files.compose, 'utf8').replace('receiver: email-warning', 'receiver: nobody');
    await withTempFile('alertmanager.yml', broken, async (path) => {
      const result = await run('amtool', ['check-config', path]);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('undefined receiver "nobody"');
    });
  });

  const routes = async (config: string, labels: string[]) => {
    const result = await run('amtool', ['config', 'routes', 'test', `--config.file=${config}`, ...labels]);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trim();
  };

  it('routes critical alerts to the on-call mail and warnings to the team', async () => {
    expect(await routes(files.compose, ['alertname=GatewayDown', 'severity=critical', 'job=gateway'])).toBe(
      'email-critical',
    );
    expect(await routes(files.compose, ['alertname=HighCPUUsage', 'severity=warning', 'job=node'])).toBe(
      'email-warning',
    );
  });

  it('with Slack on, routes critical alerts to mail and Slack', async () => {
    await withTempFile('alertmanager.yml', renderAlertmanagerConfig('compose', { slack: true }), async (path) => {
      expect(await routes(path, ['alertname=GatewayDown', 'severity=critical'])).toBe('email-critical,slack-critical');
      expect(await routes(path, ['alertname=StrategyLoss', 'severity=warning'])).toBe('email-warning');
    });
  });
});

// A real Alertmanager with the local variant (webhook pointed at this test): for each inhibit rule,
// the warning twin with the same labels is suppressed, the twin on another venue or strategy is not.
describeWithTools('a real Alertmanager applies the inhibitions', ['prometheus-alertmanager'], () => {
  let alertmanager: Server | undefined;
  let webhook: WebhookReceiver | undefined;
  let configDir: string | undefined;

  beforeAll(async () => {
    webhook = await startWebhookReceiver();
    configDir = mkdtempSync(join(tmpdir(), 'ttquant-amcfg-'));
    const configFile = join(configDir, 'alertmanager.yml');
    writeFileSync(configFile, renderAlertmanagerConfig('local', { webhookUrl: webhook.url }));
    alertmanager = await startServer('prometheus-alertmanager', (amPort, dir) => [
      `--config.file=${configFile}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);
  });

  afterAll(async () => {
    await alertmanager?.stop();
    await webhook?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  // For each inhibit rule: the critical alert, its twin with equal labels, and its twin with one
  // `equal` label changed.
  const cases = inhibitRules().map((rule, i) => {
    const source = String((rule['source_matchers'] as string[])[0]).slice(11, -1);
    const target = String((rule['target_matchers'] as string[])[0]).slice(11, -1);
    const equal = rule['equal'] as string[];
    const shared = Object.fromEntries(equal.map((label) => [label, `${label}-${i}`]));
    const last = equal[equal.length - 1] ?? '';
    return {
      source: { alertname: source, severity: 'critical', ...shared },
      twin: { alertname: target, severity: 'warning', ...shared },
      other: { alertname: target, severity: 'warning', ...shared, [last]: `${last}-${i}-other` },
    };
  });

  it('suppresses each warning twin while its critical alert fires, and only that twin', async () => {
    expect(cases).toHaveLength(4);
    const alerts = cases.flatMap((c) => [c.source, c.twin, c.other]);
    const posted = await fetch(`${alertmanager?.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels, annotations: { summary: 'test' } }))),
      signal: AbortSignal.timeout(5_000),
    });
    expect(posted.status).toBe(200);

    type Status = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
    const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
    // The API lists an alert as soon as it is stored, but the inhibitor learns of the critical
    // sources from its own subscription a moment later: wait until it has (a twin shows as
    // suppressed), then check every state. Without working inhibitions this times out.
    const states = await pollUntil(async () => {
      const response = await fetch(`${alertmanager?.url}/api/v2/alerts`, { signal: AbortSignal.timeout(5_000) });
      const list = (await response.json()) as Status[];
      if (list.length !== alerts.length) return undefined;
      const byKey = new Map(list.map((a) => [key(a.labels), a.status]));
      return cases.every((c) => byKey.get(key(c.twin))?.state === 'suppressed') ? byKey : undefined;
    }, 'the posted alerts, with the inhibitor caught up');
    for (const c of cases) {
      expect(states.get(key(c.source))?.state, c.source.alertname).toBe('active');
      expect(states.get(key(c.twin))?.state, c.twin.alertname).toBe('suppressed');
      expect(states.get(key(c.twin))?.inhibitedBy.length, c.twin.alertname).toBe(1);
      expect(states.get(key(c.other))?.state, `${c.other.alertname} elsewhere`).toBe('active');
    }

    // The webhook hears the critical alerts and the unrelated twins; the suppressed twins are dropped.
    const expected = cases.flatMap((c) => [key(c.source), key(c.other)]).sort();
    const heard = await pollUntil(async () => {
      const keys = [...new Set((webhook?.alerts ?? []).map((a) => key(a.labels)))].sort();
      return expected.every((k) => keys.includes(k)) ? keys : undefined;
    }, 'notifications for the unsuppressed alerts');
    expect(heard).toEqual(expected);
  });
});
