// Writes the generated monitoring files: `npm run generate -w @ttquant/monitoring`.
// Tests re-render them and fail when a committed file differs.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDashboard } from './dashboards/generate-dashboard.js';
import { renderConfigFiles, renderExampleFiles } from './outputs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const file of [...renderConfigFiles(), ...renderExampleFiles()]) {
  const target = join(root, file.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  console.log(`wrote monitoring/${file.path}`);
}

writeDashboard();
console.log('wrote monitoring/generated/dashboards/ttquant.json');
