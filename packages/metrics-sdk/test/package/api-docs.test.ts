import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm run docs` renders the typed API docs with typedoc. This runs the same configuration without
// writing files and with warnings as errors, so a broken link or an unexported referenced type in
// the TSDoc fails the build instead of rotting quietly.

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('typed API docs', () => {
  it('render from src/index.ts with no typedoc warning', () => {
    const typedoc = join(pkg, '..', '..', 'node_modules', '.bin', 'typedoc');
    const result = spawnSync(typedoc, ['--options', 'typedoc.json', '--emit', 'none', '--treatWarningsAsErrors'], {
      cwd: pkg,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[(warning|error)\]/);
    expect(result.status).toBe(0);
  }, 120_000);
});
