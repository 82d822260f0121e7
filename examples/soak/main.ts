import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { ConfigError } from '../shared/config.js';
import { readSoakOptions, type SoakOptions, USAGE } from './options.js';
import { renderPlot } from './plot.js';
import { renderReport } from './report.js';
import { runSoak, type SoakResult } from './run.js';
import { KIND_UNITS, trends } from './slopes.js';

// `npm run soak -- --minutes N`: runs the demo's pipeline for N minutes (run.ts), samples every
// process's memory and the tick stores, and writes the markdown report and its plot. Ctrl-C ends the
// sampling early and still writes what was measured; every process is stopped by its PID on the way
// out, on an error too (run.ts).

let options: SoakOptions;
try {
  options = readSoakOptions(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`soak: ${error.message}\n${USAGE}`);
  process.exit(2);
}

const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.log(`soak: ${signal}: stopping the pipeline and writing what was measured`);
    abort.abort();
  });
}

console.log(
  `soak: ${options.minutes} min at EXCHANGE_TICK_MS=${options.tickMs}, a sample every ${options.sampleSeconds} s, ` +
    `warm-up ${Number(options.warmupMinutes.toFixed(2))} min; data in ${options.dataDir}`,
);
let result: SoakResult;
try {
  result = await runSoak(options, {
    signal: abort.signal,
    onSample: (sample) => {
      const rss = sample.processes.map(
        (p) => `${p.name} ${p.rssBytes === undefined ? '?' : (p.rssBytes / 2 ** 20).toFixed(0)}`,
      );
      const store = sample.stores.map((s) => `${s.name} ${(s.diskBytes / 2 ** 20).toFixed(1)}`);
      console.log(
        `soak: ${new Date(sample.atMs).toISOString().slice(11, 19)} RSS MB: ${rss.join(', ')}; store MB: ${store.join(', ')}`,
      );
    },
  });
} catch (error) {
  console.error(`soak: failed: ${(error as Error).message}`);
  if (!options.keepData) rmSync(options.dataDir, { recursive: true, force: true });
  process.exit(1);
}
if (!options.keepData) rmSync(options.dataDir, { recursive: true, force: true });
for (const exit of result.exits) {
  if (exit.code !== 0) console.error(`soak: ${exit.name} exited with ${exit.code ?? exit.signal}`);
}

const warmupMs = options.warmupMinutes * 60_000;
const measured = trends(result.samples, warmupMs);
mkdirSync(dirname(options.out), { recursive: true });
mkdirSync(dirname(options.svg), { recursive: true });
writeFileSync(options.svg, await renderPlot(result.samples, warmupMs));
const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim();
writeFileSync(
  options.out,
  renderReport({ result, trends: measured, plotHref: relative(dirname(options.out), options.svg), command }),
);
for (const t of measured.filter((x) => x.kind === 'rss' || x.kind.startsWith('store'))) {
  const slope = t.slopePerHour === undefined ? '—' : t.slopePerHour.toFixed(1);
  console.log(
    `soak: ${KIND_UNITS[t.kind].label} ${t.name}: slope ${slope} ${t.unit}/h, max ${t.max?.toFixed(1)} ${t.unit}`,
  );
}
console.log(`soak: wrote ${options.out} and ${options.svg}`);
process.exit(result.exits.some((e) => e.code !== 0) ? 1 : 0);
