// Writes docs/metrics.md (at the repository root) from the catalogs: `npm run docs:reference`.
// test/reference/metrics-md.test.ts fails when the committed file differs from a fresh render.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultReferenceCatalogs, renderMetricReference } from '../src/reference/markdown.js';

const target = fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url));
writeFileSync(target, renderMetricReference(defaultReferenceCatalogs()));
process.stdout.write(`wrote ${target}\n`);
