import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config.js';
import type { SoakSettings } from './run.js';

// The soak's command line (`npm run soak -- --minutes N …`), read with node's util.parseArgs. Every
// value is checked: a bad one is a ConfigError naming the option, never a silent default.

/** Everything the command line sets. */
export interface SoakOptions extends SoakSettings {
  /** The markdown report's path. */
  readonly out: string;
  /** The plot's path (SVG). */
  readonly svg: string;
  /** Keep the soak's tick stores and spools after the run (default: removed). */
  readonly keepData: boolean;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The command's usage text. */
export const USAGE = `usage: npm run soak -- [--minutes N] [--tick-ms X] [--sample-seconds S] [--warmup-minutes W]
                       [--out docs/soak.md] [--svg docs/soak.svg] [--data-dir DIR] [--keep-data]
  --minutes N          how long to sample (default 30; fractions allowed)
  --tick-ms X          the exchange's EXCHANGE_TICK_MS (default 20, the demo's: 300 ticks/s in all)
  --sample-seconds S   seconds between samples (default 5)
  --warmup-minutes W   left out of the trends (default a third of the run, at most 5)
  --out FILE           the markdown report (default docs/soak.md)
  --svg FILE           the plot (default: the report's path with .svg)
  --data-dir DIR       the soak's tick stores and spools (default .data/soak/<time>; removed after
                       the run unless --keep-data)`;

/**
 * Reads the soak's options.
 *
 * @param argv - the arguments after the script name
 * @param cwd - relative paths are resolved against it (npm's INIT_CWD: where the user typed the command)
 * @param now - names the default data folder
 * @returns the options
 * @throws ConfigError naming the option that does not parse, or an unknown option
 */
export function readSoakOptions(argv: readonly string[], cwd: string, now = new Date()): SoakOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const minutes = positive(values.minutes, '--minutes', 30, 24 * 60);
  const warmupMinutes =
    values['warmup-minutes'] === undefined
      ? Math.min(5, minutes / 3)
      : positive(values['warmup-minutes'], '--warmup-minutes', 0, minutes, true);
  if (warmupMinutes >= minutes)
    throw new ConfigError(`--warmup-minutes=${warmupMinutes}: must be less than --minutes (${minutes})`);
  const at = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  const out = at(values.out ?? join(ROOT, 'docs/soak.md'));
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    minutes,
    tickMs: positive(values['tick-ms'], '--tick-ms', 20, 60_000),
    sampleSeconds: positive(values['sample-seconds'], '--sample-seconds', 5, 3_600),
    warmupMinutes,
    out,
    svg: at(values.svg ?? out.replace(/(\.md)?$/, '.svg')),
    dataDir: at(values['data-dir'] ?? join(ROOT, '.data/soak', stamp)),
    keepData: values['keep-data'] ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      minutes: { type: 'string' },
      'tick-ms': { type: 'string' },
      'sample-seconds': { type: 'string' },
      'warmup-minutes': { type: 'string' },
      out: { type: 'string' },
      svg: { type: 'string' },
      'data-dir': { type: 'string' },
      'keep-data': { type: 'boolean' },
    },
  });
}

/** A number option: finite, > 0 (or >= 0 with `zeroOk`), at most `max`. */
function positive(raw: string | undefined, name: string, fallback: number, max: number, zeroOk = false): number {
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk) || value > max) {
    throw new ConfigError(`${name}=${raw}: expected a number ${zeroOk ? 'from 0' : 'above 0'} up to ${max}`);
  }
  return value;
}
