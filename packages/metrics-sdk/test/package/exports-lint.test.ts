import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The published package's exports map, checked by the tools npm consumers' bundlers and type
// checkers agree with: publint (package.json fields against the files) and Are The Types Wrong
// (each resolution mode finds the right JS and the right .d.ts).

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name: string) => join(pkg, '..', '..', 'node_modules', '.bin', name);

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: pkg, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  if (!existsSync(join(pkg, 'dist', 'index.cjs'))) {
    const build = run('npm', ['run', 'build']);
    if (build.status !== 0) throw new Error(`build failed:\n${build.output}`);
  }
}, 120_000);

describe('package exports', () => {
  it('pass publint --strict', () => {
    const { status, output } = run(bin('publint'), ['--strict']);
    expect(output).toContain('All good!');
    expect(status).toBe(0);
  }, 60_000);

  it('resolve with the right types in every mode (attw --pack)', () => {
    const { status, output } = run(bin('attw'), ['--pack', '.', '--format', 'json']);
    const start = output.indexOf('{');
    const report = JSON.parse(output.slice(start)) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, unknown> };
    };
    expect(report.analysis.problems).toEqual([]);
    // Every subpath of the exports map was analysed, not only the root.
    const exportsMap = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports as Record<string, unknown>;
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(Object.keys(exportsMap).sort());
    expect(status).toBe(0);
  }, 60_000);
});
