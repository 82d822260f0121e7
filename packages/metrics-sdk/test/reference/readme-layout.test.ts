import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The root README draws the SDK's source tree, one line per folder: the drawing must list exactly
// the folders that exist, so a folder added, renamed or removed fails here until the README says so.

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function drawnFolders(readme: string): string[] {
  const start = readme.indexOf('packages/metrics-sdk/src/\n');
  expect(start, 'README.md has no tree of packages/metrics-sdk/src/').toBeGreaterThan(-1);
  const block = readme.slice(start, readme.indexOf('```', start)).split('\n').slice(1);
  return block.flatMap((line) => /^ {2}([a-z-]+)\/ /.exec(line)?.[1] ?? []);
}

describe('README.md layout of packages/metrics-sdk/src', () => {
  it('lists every source folder, and only those', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(drawnFolders(readFileSync(README, 'utf8')).sort()).toEqual(folders);
  });
});
