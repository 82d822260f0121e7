import { ConfigError, envInteger, envString } from '../shared/config.js';
import { DEMO_ENV } from './demo-env.js';
import { renderSummary, type SummaryNumbers, summaryNumbers } from './live-summary.js';
import { prettyLine } from './pretty-logs.js';
import { type RunningService, startService, stopServices } from './process-tree.js';
import { defaultPipelinePorts, freePipelinePorts, type PipelinePorts, pipelineSpecs } from './specs.js';

// `npm run demo`: the simulated exchange, a market-data service and a gateway per venue, and the
// strategy engine trading both venues, as one process tree on the original ports (docs/origin.md;
// the second venue's services 10 above, examples/shared/ports.ts), or on free ports with
// DEMO_PORTS=free. The addresses come from specs.ts; every other setting each service reads from its
// own environment (examples/README.md). This file only orders the start, prints where to look, and
// stops everything on Ctrl-C or SIGTERM.

// Demo settings (demo-env.ts); anything set in the environment wins.
for (const [name, value] of Object.entries(DEMO_ENV)) process.env[name] ??= value;
const quiet = process.env.DEMO_QUIET === '1';
const portChoice = envString(process.env, 'DEMO_PORTS', 'default');
if (portChoice !== 'default' && portChoice !== 'free') {
  console.error(`demo: DEMO_PORTS=${portChoice}: expected default or free`);
  process.exit(2);
}
// On a terminal, for a person: pretty log lines and a live summary; otherwise the JSON lines as they are.
const person = process.stdout.isTTY === true && !quiet;
let SUMMARY_MS: number;
try {
  SUMMARY_MS = envInteger(process.env, 'DEMO_SUMMARY_MS', 5_000, 0, 3_600_000);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`demo: ${error.message}`);
  process.exit(2);
}
const onLine = quiet
  ? () => {}
  : person
    ? (service: string, line: string) => process.stdout.write(`${prettyLine(service, line)}\n`)
    : undefined;

/** Prints the live summary every SUMMARY_MS from the services' /metrics. */
function startSummary(services: readonly RunningService[]): () => void {
  const url = (name: string) => services.find((s) => s.spec.name === name)?.url ?? '';
  const read = async (name: string) => {
    try {
      const response = await fetch(`${url(name)}/metrics`, { signal: AbortSignal.timeout(2_000) });
      return response.ok ? await response.text() : '';
    } catch {
      return '';
    }
  };
  const endpoints = new Map(services.map((s) => [s.spec.name, s.url]));
  const startedAt = Date.now();
  let before: { numbers: SummaryNumbers; at: number } | undefined;
  const timer = setInterval(async () => {
    const of = (prefix: string) => services.filter((s) => s.spec.name.startsWith(prefix)).map((s) => s.spec.name);
    const [marketData, gateway, engine] = await Promise.all([
      Promise.all(of('market-data-').map(read)),
      Promise.all(of('gateway-').map(read)),
      read('strategy-engine'),
    ]);
    const numbers = summaryNumbers({ marketData, gateway, engine });
    const at = Date.now();
    const seconds = before === undefined ? 0 : (at - before.at) / 1000;
    process.stdout.write(`${renderSummary(numbers, before?.numbers, seconds, endpoints, at - startedAt)}\n`);
    before = { numbers, at };
  }, SUMMARY_MS);
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const started: RunningService[] = [];
  let stopping = false;
  const shutdown = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Consumers first, so nothing is left waiting on a peer that is already gone.
    const results = await stopServices([...started].reverse());
    const unclean = results.filter((r) => r.code !== 0);
    for (const r of results) console.log(`demo: ${r.name} exited with ${r.code ?? r.signal}`);
    console.log(`demo: stopped (${reason})`);
    process.exit(unclean.length > 0 && exitCode === 0 ? 1 : exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

  const ports: PipelinePorts = portChoice === 'free' ? await freePipelinePorts() : defaultPipelinePorts();
  const specs = pipelineSpecs(ports);
  try {
    for (const spec of specs) {
      const service = await startService(spec, onLine === undefined ? {} : { onLine });
      started.push(service);
      service.child.on('exit', (code, signal) => {
        if (!stopping) {
          console.error(`demo: ${spec.name} stopped unexpectedly (${code ?? signal}); stopping the rest`);
          void shutdown(`${spec.name} died`, 1);
        }
      });
    }
  } catch (error) {
    console.error(`demo: could not start: ${(error as Error).message}`);
    await shutdown('start failed', 1);
    return;
  }
  for (const s of started) {
    const what = s.spec.name === 'exchange' ? 'simulated exchange at' : 'metrics at';
    const suffix = s.spec.name === 'exchange' ? '' : '/metrics';
    console.log(`demo: ${s.spec.name} ${what} ${s.url}${suffix} (pid ${s.child.pid})`);
  }
  console.log('demo: pipeline running; press Ctrl-C to stop');
  if (person && SUMMARY_MS > 0) {
    const stop = startSummary(started);
    process.once('SIGINT', stop).once('SIGTERM', stop);
  }
}

await main();
