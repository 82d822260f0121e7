// Shared helpers for tests that check our output with the real Prometheus tools: Debian's `promtool`
// and `prometheus` (2.42), `amtool` and `prometheus-alertmanager`, and Debian's
// python3-prometheus-client parser. Every child process is spawned with node:child_process under a
// timeout, and servers are stopped by their PID.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { freePort } from './net.js';
import { type PrometheusApi, prometheusApi } from './prometheus-api.js';
import { hasOpenssl } from './tls.js';
import { pollUntil } from './wait.js';

/** An external tool a test needs. */
export type Tool =
  | 'promtool'
  | 'prometheus'
  | 'amtool'
  | 'prometheus-alertmanager'
  | 'prometheus-pushgateway'
  | 'python-prometheus-client'
  | 'openssl';

/** Debian package that provides each tool, named in the failure message on CI. */
const INSTALL: Record<Tool, string> = {
  promtool: 'apt-get install -y prometheus',
  prometheus: 'apt-get install -y prometheus',
  amtool: 'apt-get install -y prometheus-alertmanager',
  'prometheus-alertmanager': 'apt-get install -y prometheus-alertmanager',
  'prometheus-pushgateway': 'apt-get install -y prometheus-pushgateway',
  'python-prometheus-client': 'apt-get install -y python3-prometheus-client',
  openssl: 'apt-get install -y openssl',
};

// Debian's python comes first: another python3 may precede it on PATH without prometheus_client.
const PYTHON_CANDIDATES = ['/usr/bin/python3', 'python3'];
const PROBE_TIMEOUT_MS = 10_000;

let pythonPath: string | null | undefined;

/**
 * The python interpreter that can import `prometheus_client`, probed once.
 *
 * @returns its command, or `null` when none can
 */
export function pythonWithPrometheusClient(): string | null {
  if (pythonPath !== undefined) return pythonPath;
  pythonPath = null;
  for (const candidate of PYTHON_CANDIDATES) {
    const probe = spawnSync(candidate, ['-c', 'import prometheus_client.parser'], { timeout: PROBE_TIMEOUT_MS });
    if (probe.status === 0) {
      pythonPath = candidate;
      break;
    }
  }
  return pythonPath;
}

const available = new Map<Tool, boolean>();

/**
 * Whether a tool can be run here (probed once per process).
 *
 * @param tool - the tool
 * @returns true when it runs
 */
export function hasTool(tool: Tool): boolean {
  let ok = available.get(tool);
  if (ok === undefined) {
    ok =
      tool === 'python-prometheus-client'
        ? pythonWithPrometheusClient() !== null
        : tool === 'openssl'
          ? hasOpenssl()
          : spawnSync(tool, ['--version'], { timeout: PROBE_TIMEOUT_MS }).status === 0;
    available.set(tool, ok);
  }
  return ok;
}

/** What a block needs that may be missing here; see {@link describeRequiring}. */
export interface Requirement {
  /** Names of what is missing (tools, a server); empty when everything is there. */
  readonly missing: readonly string[];
  /** How to get it, e.g. `apt-get install -y prometheus`; named in the failure on CI. */
  readonly install: string;
  /** Why it is skipped, for the local skip's name; default `<missing> not installed`. */
  readonly reason?: string;
}

/**
 * A `describe` that needs something that may be missing here. When something is missing: on CI (env
 * `CI` set) the block is a single failing test that says what to install, so a missing tool can never
 * pass as green; locally the block is skipped and its name says `skipped: <reason>`. Every
 * tool-backed block in the repository goes through here, so the policy exists once.
 *
 * @param title - the describe title
 * @param need - what is missing and how to install it
 * @param body - the describe body; not run at all when something is missing
 * @example
 * ```ts
 * describeRequiring('the live stack', { missing: missingTools(tools), install: installHint(tools) }, () => { ... });
 * ```
 */
export function describeRequiring(title: string, need: Requirement, body: () => void): void {
  if (need.missing.length === 0) {
    describe(title, body);
    return;
  }
  const names = need.missing.join(', ');
  if (process.env['CI']) {
    describe(title, () => {
      it(`requires ${names}`, () => {
        throw new Error(`${names} not installed; on CI every tool-backed test must run. Install: ${need.install}`);
      });
    });
    return;
  }
  describe.skip(`${title} (skipped: ${need.reason ?? `${names} not installed`})`, body);
}

/**
 * A `describe` that needs external tools, with the policy of {@link describeRequiring}: when one is
 * missing, on CI the block is a single failing test that says what to install; locally the block is
 * skipped and its name says `skipped: <tool> not installed`.
 *
 * @param title - the describe title
 * @param tools - the tools the block needs
 * @param body - the describe body; not run at all when a tool is missing
 * @example
 * ```ts
 * describeWithTools('promtool accepts the body', ['promtool'], () => {
 *   it('lints clean', async () => expect((await promtoolCheckMetrics(body)).code).toBe(0));
 * });
 * ```
 */
export function describeWithTools(title: string, tools: readonly Tool[], body: () => void): void {
  const missing = tools.filter((tool) => !hasTool(tool));
  const install = [...new Set(missing.map((tool) => INSTALL[tool]))].join(' && ');
  describeRequiring(title, { missing, install }, body);
}

/**
 * An `it` that needs one external tool. On CI (env `CI` set) it always runs, so a missing tool fails
 * it; locally it is skipped and its name says `skipped: <tool> not installed`.
 *
 * @param tool - the tool the test needs
 * @param name - the test name
 * @param body - the test
 * @example
 * ```ts
 * itWithTool('promtool', 'lints clean', async () => expect((await promtoolCheckMetrics(body)).code).toBe(0));
 * ```
 */
export function itWithTool(tool: Tool, name: string, body: () => Promise<void>): void {
  if (hasTool(tool) || process.env['CI']) it(name, body);
  else it.skip(`${name} (skipped: ${tool} not installed)`, body);
}

/** Exit status and output of a finished child process. */
export interface RunResult {
  /** Exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion, feeding `input` on stdin. Rejects when it cannot start or outlives
 * the timeout (it is then killed by its PID).
 *
 * @param command - executable
 * @param args - arguments
 * @param input - bytes for stdin
 * @param timeoutMs - how long it may run
 * @returns its exit code and decoded output
 */
export function run(
  command: string,
  args: readonly string[],
  input: string | Uint8Array = '',
  timeoutMs = 20_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      killPid(child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no exit after ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // EPIPE if the tool exits before reading everything; its exit code tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** What `promtool check metrics` said about a body. */
export interface PromtoolResult {
  /** 0 clean, 3 lint findings, 1 parse error. */
  readonly code: number | null;
  /** One line per finding (`<metric> <text>`), or the parse error. */
  readonly findings: string[];
}

/**
 * Lints an exposition body with `promtool check metrics` (which parses it with Prometheus' Go parser).
 *
 * @param body - the exposition text
 * @returns exit code and findings
 */
export async function promtoolCheckMetrics(body: string | Uint8Array): Promise<PromtoolResult> {
  const result = await run('promtool', ['check', 'metrics'], body);
  // promtool writes findings and parse errors to stderr, one per line.
  const findings = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
  return { code: result.code, findings };
}

/** One sample as python's parser read it. */
export interface PySample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** python's `repr(float)`: `'nan'`, `'inf'`, `'-inf'`, `'-0.0'`, `'1e+308'`…; see {@link pyFloat}. */
  readonly value: string;
}

/** One metric family as python's parser read it. */
export interface PyFamily {
  /** Note: the classic parser strips `_total` from a counter's family name (not from its samples). */
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: PySample[];
}

/** An exemplar as the OpenMetrics parser read it; value and timestamp as python's `repr(float)`. */
export interface PyExemplar {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: string;
  /** Seconds since the epoch; `null` when the exemplar has none (it is optional). */
  readonly timestamp: string | null;
}

/** One family as the OpenMetrics parser read it: {@link PyFamily} plus its UNIT and exemplars. */
export interface PyOpenMetricsFamily extends PyFamily {
  readonly unit: string;
  readonly samples: (PySample & { readonly exemplar: PyExemplar | null })[];
}

/**
 * Which of python's parsers reads the bodies: `classic`, the 0.0.4 text parser
 * (`prometheus_client.parser`), or `openmetrics`, the strict OpenMetrics 1.0 parser
 * (`prometheus_client.openmetrics.parser`), which also reads UNIT and exemplars and requires `# EOF`.
 */
export type PyFormat = 'classic' | 'openmetrics';

// Reads UTF-8 bytes (independent of the locale) and writes ASCII-only JSON; repr() keeps every
// float exact and spells NaN/Inf, which JSON cannot carry as numbers. Serves many bodies per process:
// each request is `<byte length>\n<body>`, each reply one JSON line. Importing prometheus_client costs
// ~0.15 s of CPU, so a property test with many bodies pays it once. argv[1] is the PyFormat; the
// OpenMetrics fields are written for that parser only, so a classic family is exactly a PyFamily.
// Both parsers are generators, read to the end here (`# EOF` included), so a body rejected anywhere
// raises. An exemplar's timestamp is optional in OpenMetrics: null when it has none.
const PY_PARSE = `
import json, sys, traceback
openmetrics = sys.argv[1] == 'openmetrics'
if openmetrics:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
def exemplar(e):
    if e is None:
        return None
    timestamp = None if e.timestamp is None else repr(float(e.timestamp))
    return {'labels': e.labels, 'value': repr(e.value), 'timestamp': timestamp}
def sample(s):
    out = {'name': s.name, 'labels': s.labels, 'value': repr(s.value)}
    if openmetrics:
        out['exemplar'] = exemplar(s.exemplar)
    return out
def family(f):
    out = {'name': f.name, 'type': f.type, 'help': f.documentation, 'samples': [sample(s) for s in f.samples]}
    if openmetrics:
        out['unit'] = f.unit
    return out
stdin, stdout = sys.stdin.buffer, sys.stdout
while True:
    header = stdin.readline()
    if not header:
        break
    text = stdin.read(int(header)).decode('utf-8')
    try:
        out = [family(f) for f in text_string_to_metric_families(text)]
        stdout.write(json.dumps({'families': out}, ensure_ascii=True) + '\\n')
    except Exception:
        stdout.write(json.dumps({'error': traceback.format_exc()}) + '\\n')
    stdout.flush()
`;

/** A python process running one of python's parsers, reused across bodies; see {@link openPythonParser}. */
export interface PythonParser<F extends PyFamily = PyFamily> {
  /**
   * Parses one body.
   *
   * @param body - the exposition text
   * @param timeoutMs - how long the parse may take
   * @returns the families in body order
   * @throws Error with python's traceback when the parser rejects the body
   */
  parse(body: string | Uint8Array, timeoutMs?: number): Promise<F[]>;
  /** Ends the process (closes its stdin; SIGKILL by PID if it has not exited after 5 s). */
  close(): Promise<void>;
}

/**
 * Starts one of Debian's python3-prometheus-client parsers as one long-lived process: the classic
 * text parser (`prometheus_client.parser.text_string_to_metric_families`) by default, or the strict
 * OpenMetrics parser. Parses run one at a time, in call order. Close it in `afterAll`.
 *
 * @param format - which parser; `openmetrics` also returns each family's UNIT and each sample's exemplar
 * @returns the parser
 * @example
 * ```ts
 * const py = openPythonParser();
 * try { const families = await py.parse(body); } finally { await py.close(); }
 * ```
 */
export function openPythonParser(format?: 'classic'): PythonParser;
export function openPythonParser(format: 'openmetrics'): PythonParser<PyOpenMetricsFamily>;
export function openPythonParser(format: PyFormat = 'classic'): PythonParser {
  const python = pythonWithPrometheusClient();
  if (python === null) throw new Error('no python3 with prometheus_client (apt-get install python3-prometheus-client)');
  const child = spawn(python, ['-c', PY_PARSE, format], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let pending = '';
  let exited = false;
  const waiting: ((line: string | Error) => void)[] = [];
  const exit = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
  });
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1'); // the replies are ASCII
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      waiting.shift()?.(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  const fail = (error: Error): void => {
    exited = true;
    for (const resolve of waiting.splice(0)) resolve(error);
  };
  child.on('error', fail);
  child.on('close', (code) => fail(new Error(`python parser exited (${code}): ${stderr}`)));
  child.stdin.on('error', () => {});

  let queue: Promise<unknown> = Promise.resolve();
  const parse = (body: string | Uint8Array, timeoutMs = 20_000): Promise<PyFamily[]> => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const next = queue.then(
      () =>
        new Promise<PyFamily[]>((resolve, reject) => {
          if (exited) {
            reject(new Error(`python parser is not running: ${stderr}`));
            return;
          }
          // A late reply would go to the wrong caller, so a timeout ends the process.
          const timer = setTimeout(() => {
            killPid(child.pid, 'SIGKILL');
            reject(new Error(`python parser: no reply after ${timeoutMs} ms`));
          }, timeoutMs);
          waiting.push((line) => {
            clearTimeout(timer);
            if (line instanceof Error) return reject(line);
            const reply = JSON.parse(line) as { families?: PyFamily[]; error?: string };
            if (reply.families === undefined)
              reject(new Error(`python's ${format} parser rejected the body:\n${reply.error}`));
            else resolve(reply.families);
          });
          child.stdin.write(`${bytes.length}\n`);
          child.stdin.write(bytes);
        }),
    );
    queue = next.catch(() => undefined);
    return next;
  };

  const close = async (): Promise<void> => {
    if (exited) return;
    child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 5_000);
    });
    await Promise.race([exit, grace]);
    clearTimeout(timer);
    if (!exited) {
      killPid(child.pid, 'SIGKILL');
      await exit;
    }
  };
  return { parse, close };
}

/**
 * Parses one body with a short-lived python process; see {@link openPythonParser} for many bodies.
 *
 * @param body - the exposition text
 * @returns the families in body order
 * @throws Error with python's traceback when the parser rejects the body
 */
export async function parseWithPython(body: string | Uint8Array): Promise<PyFamily[]> {
  const parser = openPythonParser();
  try {
    return await parser.parse(body);
  } finally {
    await parser.close();
  }
}

/**
 * Parses one body with a short-lived python process running the strict OpenMetrics parser; see
 * {@link openPythonParser} with `'openmetrics'` for many bodies.
 *
 * @param body - the OpenMetrics exposition, `# EOF` included
 * @returns the families in body order, with their UNIT and their samples' exemplars
 * @throws Error with python's traceback when the parser rejects the body
 */
export async function parseOpenMetricsWithPython(body: string | Uint8Array): Promise<PyOpenMetricsFamily[]> {
  const parser = openPythonParser('openmetrics');
  try {
    return await parser.parse(body);
  } finally {
    await parser.close();
  }
}

/**
 * Reads back a python `repr(float)` string as a number.
 *
 * @param repr - e.g. `'nan'`, `'-inf'`, `'0.30000000000000004'`
 * @returns the same double
 */
export function pyFloat(repr: string): number {
  if (repr === 'nan') return Number.NaN;
  if (repr === 'inf') return Number.POSITIVE_INFINITY;
  if (repr === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(repr);
}

/** A server process started by {@link startServer}. */
export interface Server {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  /** The last lines it logged, for failure messages. */
  log(): string;
  /** Stops it by its PID (SIGTERM, then SIGKILL after 10 s) and removes its temporary folder. */
  stop(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Path that answers 200 once the server is ready; default `/-/ready` (Prometheus, Alertmanager). */
  readonly readyPath?: string;
  /** How long to wait for it; default 30 s. */
  readonly readyTimeoutMs?: number;
  /**
   * A status besides 2xx that also means ready: a server that requires credentials answers its
   * ready path with 401 once it listens.
   */
  readonly readyStatus?: number;
}

/**
 * Starts a server on a free 127.0.0.1 port with a fresh temporary folder, and waits until
 * `readyPath` answers 200. The caller must `stop()` it (in `afterAll`, pass or fail).
 *
 * @param command - executable
 * @param args - builds the arguments from the port and the temporary folder (it may write files there)
 * @param options - readiness path and timeout
 * @returns the running server
 * @example
 * ```ts
 * const am = await startServer('prometheus-alertmanager', (port, dir) => [
 *   `--config.file=${configFile}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`,
 * ]);
 * try { await fetch(`${am.url}/api/v2/status`); } finally { await am.stop(); }
 * ```
 */
export async function startServer(
  command: string,
  args: (port: number, dir: string) => readonly string[],
  options: ServerOptions = {},
): Promise<Server> {
  const readyPath = options.readyPath ?? '/-/ready';
  const dir = mkdtempSync(join(tmpdir(), 'ttquant-srv-'));
  let port: number;
  let argv: readonly string[];
  try {
    port = await freePort();
    argv = args(port, dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let logTail = '';
  const keep = (chunk: Buffer): void => {
    logTail = (logTail + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      logTail += `\nspawn error: ${error.message}`;
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? -1;

  const stop = async (): Promise<void> => {
    try {
      if (!exited && pid > 0) {
        killPid(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 10_000);
        });
        await Promise.race([exit, grace]);
        clearTimeout(timer);
        if (!exited) {
          killPid(pid, 'SIGKILL');
          await exit;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    await pollUntil(
      async () => {
        if (exited) throw new Error(`${command} exited`);
        // Connection refused until it listens: try again.
        const response = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) }).catch(
          () => undefined,
        );
        return response?.ok || (response !== undefined && response.status === options.readyStatus) ? true : undefined;
      },
      `${command} ${readyPath}`,
      options.readyTimeoutMs ?? 30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${command} did not become ready: ${String(error)}\n${logTail}`);
  }
  return { url, pid, log: () => logTail, stop };
}

/** A Prometheus server started by {@link startPrometheus}. */
export interface PrometheusServer extends Server {
  /** GETs an API path (e.g. `/api/v1/targets`) and returns its `data`; see {@link PrometheusApi}. */
  readonly api: PrometheusApi;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** Scrape targets as `host:port`, one job named `test`. */
  readonly targets: readonly string[];
  /** Default `'1s'`. */
  readonly scrapeInterval?: string;
  /** Path scraped on each target; default `/metrics`. */
  readonly metricsPath?: string;
  /** How long to wait for `/-/ready`; default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Feature flags, passed as `--enable-feature=…` (e.g. `native-histograms`, `exemplar-storage`). */
  readonly features?: readonly string[];
}

/**
 * Starts a real Prometheus on 127.0.0.1 with a temporary config and TSDB directory, and waits until
 * it is ready. The caller must `stop()` it (in `afterAll`, pass or fail).
 *
 * @param options - targets and scrape settings
 * @returns the running server
 * @example
 * ```ts
 * const prom = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
 * try { await prom.api('/api/v1/targets'); } finally { await prom.stop(); }
 * ```
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const interval = options.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    'scrape_configs:',
    '  - job_name: test',
    `    metrics_path: ${options.metricsPath ?? '/metrics'}`,
    '    static_configs:',
    `      - targets: [${options.targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  const server = await startServer(
    'prometheus',
    (port, dir) => {
      const configFile = join(dir, 'prometheus.yml');
      writeFileSync(configFile, config);
      return [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        ...(options.features === undefined || options.features.length === 0
          ? []
          : [`--enable-feature=${options.features.join(',')}`]),
      ];
    },
    { readyTimeoutMs: options.readyTimeoutMs },
  );
  return { ...server, api: prometheusApi(server.url) };
}

/** Signals one process by its PID; a process that has already exited (ESRCH) is not an error. */
function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
