import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE_VARIABLE, defaultDashboardConfig } from '../src/dashboards/config.js';
import { buildTtquantDashboard } from '../src/dashboards/ttquant.js';

const grafanaDir = fileURLToPath(new URL('../grafana/', import.meta.url));
const load = (name: string): unknown => parse(readFileSync(`${grafanaDir}${name}`, 'utf8'));

interface DatasourcesFile {
  apiVersion: number;
  datasources: { name: string; uid: string; type: string; url: string; access: string; isDefault: boolean }[];
}
interface DashboardsFile {
  apiVersion: number;
  providers: { name: string; type: string; options: { path: string } }[];
}

describe('Grafana provisioning', () => {
  it('provisions one Prometheus datasource with the uid the dashboard names', () => {
    const file = load('datasources.yml') as DatasourcesFile;
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    const [prom] = file.datasources;
    expect(prom).toMatchObject({
      name: 'Prometheus',
      type: 'prometheus',
      uid: defaultDashboardConfig.datasourceUid,
      url: 'http://prometheus:9090',
      access: 'proxy',
      isDefault: true,
    });
    // Every reference goes through the datasource variable, whose default is this datasource.
    const model = buildTtquantDashboard();
    const uids = new Set(JSON.stringify(model).match(/"uid":"[^"]*"/g));
    expect(uids).toEqual(new Set([`"uid":"${DATASOURCE_VARIABLE}"`, `"uid":"${defaultDashboardConfig.uid}"`]));
    expect(model.templating.list?.[0]?.current?.value).toBe(prom?.uid);
  });

  it('provisions the generated dashboards folder through a file provider', () => {
    const file = load('dashboards.yml') as DashboardsFile;
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toHaveLength(1);
    expect(file.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});
