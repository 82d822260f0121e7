import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm run docs` renders the typed API docs with typedoc. This runs the same configuration into a
// scratch directory with warnings as errors, so a broken link or an unexported referenced type in
// the TSDoc fails the build instead of rotting quietly, and checks that every entry of the
// package's exports map has its own module page.

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('typed API docs', () => {
  it('render the three entries with no typedoc warning', () => {
    const typedoc = join(pkg, '..', '..', 'node_modules', '.bin', 'typedoc');
    const out = mkdtempSync(join(tmpdir(), 'ttquant-typedoc-'));
    try {
      const json = join(out, 'api.json');
      const result = spawnSync(
        typedoc,
        ['--options', 'typedoc.json', '--out', join(out, 'html'), '--json', json, '--treatWarningsAsErrors'],
        { cwd: pkg, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      );
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[(warning|error)\]/);
      expect(result.status).toBe(0);
      const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
        name: string;
        exports: Record<string, unknown>;
      };
      const expected = Object.keys(manifest.exports)
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`));
      const project = JSON.parse(readFileSync(json, 'utf8')) as {
        children: { name: string; children?: unknown[] }[];
      };
      expect(project.children.map((m) => m.name).sort()).toEqual(expected.sort());
      for (const module of project.children) expect(module.children?.length ?? 0, module.name).toBeGreaterThan(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
