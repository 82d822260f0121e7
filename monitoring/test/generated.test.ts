import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigFiles } from '../src/outputs.js';
import { monitoringPath } from './helpers/paths.js';

describe('generated monitoring files', () => {
  it('render the six Prometheus and Alertmanager files', () => {
    expect(renderConfigFiles().map((file) => file.path)).toEqual([
      'generated/recording-rules.yml',
      'generated/alerts.yml',
      'prometheus.yml',
      'generated/prometheus.local.yml',
      'alertmanager.yml',
      'generated/alertmanager.local.yml',
    ]);
  });

  for (const file of renderConfigFiles()) {
    it(`monitoring/${file.path} is fresh`, () => {
      const path = monitoringPath(file.path);
      const stale = `monitoring/${file.path} is stale: run \`npm run generate -w @ttquant/monitoring\` and commit the result`;
      expect(existsSync(path), stale).toBe(true);
      expect(readFileSync(path, 'utf8'), stale).toBe(file.content);
    });
  }

  it('rendering is deterministic', () => {
    expect(renderConfigFiles()).toEqual(renderConfigFiles());
  });
});
