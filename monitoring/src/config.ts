import { DEFAULT_VENUES, SERVICE_PORTS } from '@ttquant/metrics';

// The one description of the monitored jobs, their targets and the alert thresholds. prometheus.yml,
// its local variant, every rule selector and both Alertmanager files are rendered from it, so they
// cannot drift apart. Values taken from the original system (docs/origin.md) are marked "original";
// the rest were chosen here and say why.

/** Ports of the third-party components (their upstream defaults). */
export const COMPONENT_PORTS = Object.freeze({
  prometheus: 9090,
  alertmanager: 9093,
  nodeExporter: 9100,
  postgresExporter: 9187,
  /** VictoriaMetrics single node, the long-term store of the native stack. */
  victoriaMetrics: 8428,
  /** Pushgateway: batch jobs (backtests) push their metrics here, Prometheus scrapes it. */
  pushgateway: 9091,
} as const);

/**
 * One `remote_write` endpoint: Prometheus pushes every sample it scrapes to a long-term store that
 * speaks the remote-write protocol. Examples of `url`: Thanos Receive
 * `http://thanos-receive:19291/api/v1/receive`, Grafana Mimir `http://mimir:9009/api/v1/push`,
 * VictoriaMetrics `http://victoriametrics:8428/api/v1/write`, or a Prometheus started with
 * `--web.enable-remote-write-receiver` (`http://host:9090/api/v1/write`).
 */
export interface RemoteWriteSpec {
  readonly url: string;
  /** Names the queue in Prometheus' own `prometheus_remote_storage_*` metrics (`remote_name`). */
  readonly name?: string;
}

/** How often a job is scraped: trading services every 5 s, infrastructure every 15 s (original). */
export type ScrapeClass = 'trading' | 'infrastructure';

/** One Prometheus scrape job. */
export interface JobSpec {
  /** `job_name`, and the value of the `job` label every rule selects on. */
  readonly name: string;
  /** One line for the comment above the job in prometheus.yml. */
  readonly about: string;
  readonly scrape: ScrapeClass;
  /** Targets as `host:port` in the Docker Compose network. */
  readonly compose: readonly string[];
  /** Targets when everything runs on one machine, on 127.0.0.1. */
  readonly local: readonly string[];
  /**
   * Keep the scraped series' own `job` and `instance` labels (`honor_labels: true`): a Pushgateway's
   * series carry the labels of the job that pushed them, not the gateway's.
   */
  readonly honorLabels?: boolean;
}

/**
 * The venues the example pipeline trades, each with a market-data service and a gateway of its own
 * (Compose services `md-<venue>`, `gateway-<venue>`; native processes `market-data-<venue>`,
 * `gateway-<venue>`). examples/shared/protocol.ts' VENUES lists the same; a test checks they agree.
 */
export const PIPELINE_VENUES = Object.freeze(['binance', 'okx'] as const);

/** Port distance between two venues' instances of one service on one host. */
export const VENUE_PORT_STRIDE = 10;

/**
 * The port one venue's instance of a per-venue service uses on one host: the service's base port
 * (the first venue, binance, keeps it) plus {@link VENUE_PORT_STRIDE} times the venue's place in the
 * SDK's DEFAULT_VENUES. With the original ports: market data 8080, 8090; gateway 8081, 8091. Every
 * per-venue address of the example pipeline (metrics, ZeroMQ buses, order entry) follows this rule;
 * examples/shared/ports.ts applies it too.
 *
 * @param base - the first venue's port, e.g. `SERVICE_PORTS['market-data']`
 * @param venue - a venue of DEFAULT_VENUES
 * @returns the venue's port
 * @throws Error for a venue not in DEFAULT_VENUES
 * @example
 * ```ts
 * venuePort(SERVICE_PORTS.gateway, 'okx'); // 8091
 * ```
 */
export function venuePort(base: number, venue: string): number {
  const index = (DEFAULT_VENUES as readonly string[]).indexOf(venue);
  if (index < 0) throw new Error(`venuePort: "${venue}" is not one of ${DEFAULT_VENUES.join(', ')}`);
  return base + VENUE_PORT_STRIDE * index;
}

/**
 * The 127.0.0.1 targets of a per-venue service: one per pipeline venue.
 *
 * @param base - the first venue's port
 * @returns `127.0.0.1:<port>` per venue of {@link PIPELINE_VENUES}
 */
export function localVenueTargets(base: number): string[] {
  return PIPELINE_VENUES.map((venue) => `127.0.0.1:${venuePort(base, venue)}`);
}

const md = SERVICE_PORTS['market-data'];
const gw = SERVICE_PORTS.gateway;
const engine = SERVICE_PORTS['strategy-engine'];

/**
 * Jobs, selectors, thresholds and Alertmanager settings of the TTQuant monitoring stack.
 *
 * @example
 * ```ts
 * import { monitoringConfig } from './config.js';
 * monitoringConfig.jobs.gateway.name; // 'gateway'
 * ```
 */
export const monitoringConfig = {
  /**
   * The original system's six jobs (market data, gateway, strategy engine, database, node,
   * Prometheus), and the Pushgateway that batch jobs such as backtests push to.
   */
  jobs: {
    marketData: {
      name: 'market-data',
      about: 'market-data services, one per venue (MarketDataMetrics)',
      scrape: 'trading',
      compose: PIPELINE_VENUES.map((venue) => `md-${venue}:${md}`),
      local: localVenueTargets(md),
    },
    gateway: {
      name: 'gateway',
      about: 'order gateways, one per venue (GatewayMetrics)',
      scrape: 'trading',
      compose: PIPELINE_VENUES.map((venue) => `gateway-${venue}:${gw}`),
      local: localVenueTargets(gw),
    },
    strategyEngine: {
      name: 'strategy-engine',
      about: 'strategy engine (StrategyMetrics and EngineMetrics)',
      scrape: 'trading',
      compose: [`strategy-engine:${engine}`],
      local: [`127.0.0.1:${engine}`],
    },
    database: {
      name: 'timescaledb',
      about: 'TimescaleDB through postgres-exporter',
      scrape: 'infrastructure',
      compose: [`postgres-exporter:${COMPONENT_PORTS.postgresExporter}`],
      local: [`127.0.0.1:${COMPONENT_PORTS.postgresExporter}`],
    },
    node: {
      name: 'node',
      about: 'host metrics through node-exporter',
      scrape: 'infrastructure',
      compose: [`node-exporter:${COMPONENT_PORTS.nodeExporter}`],
      local: [`127.0.0.1:${COMPONENT_PORTS.nodeExporter}`],
    },
    prometheus: {
      name: 'prometheus',
      about: 'Prometheus itself',
      scrape: 'infrastructure',
      compose: [`localhost:${COMPONENT_PORTS.prometheus}`],
      local: [`127.0.0.1:${COMPONENT_PORTS.prometheus}`],
    },
    pushgateway: {
      name: 'pushgateway',
      about: 'Pushgateway: metrics pushed by batch jobs (backtests: job="backtest", run_id), labels kept',
      // Every 5 s like the trading jobs: a running backtest's checkpoints show up while it runs.
      scrape: 'trading',
      compose: [`pushgateway:${COMPONENT_PORTS.pushgateway}`],
      local: [`127.0.0.1:${COMPONENT_PORTS.pushgateway}`],
      honorLabels: true,
    },
  },
  /**
   * Backtests (examples/backtest) push their StrategyMetrics to the Pushgateway under this `job`, one
   * group per run labelled `runLabel`; the pushgateway job's honor_labels keeps both on every series,
   * so the dashboard can set a run next to live trading.
   */
  backtest: { job: 'backtest', runLabel: 'run_id' as const },
  /** Scrape timing per class; a timeout never exceeds its interval (Prometheus rejects that). */
  scrape: {
    trading: { interval: '5s', timeout: '4s' },
    // original: a 10 s scrape timeout
    infrastructure: { interval: '15s', timeout: '10s' },
  },
  /** Rule evaluation interval: a 30 s `for` then needs two evaluations, not one. */
  evaluationInterval: '15s',
  /** Where Alertmanager listens, and where it sends notifications. No secret is written here. */
  alertmanager: {
    compose: [`alertmanager:${COMPONENT_PORTS.alertmanager}`],
    local: [`127.0.0.1:${COMPONENT_PORTS.alertmanager}`],
    /** Labels that make one notification: one per alert, service, venue and strategy. */
    groupBy: ['alertname', 'job', 'exchange', 'strategy'],
    email: {
      // Placeholders on the reserved example.com domain: set the real relay and addresses here.
      smarthost: 'smtp.example.com:587',
      from: 'ttquant-alerts@example.com',
      username: 'ttquant-alerts@example.com',
      /** Read by Alertmanager when it sends; mount it as a secret, never commit it. */
      passwordFile: '/etc/alertmanager/secrets/smtp_password',
      to: { critical: 'trading-oncall@example.com', warning: 'trading-team@example.com' },
    },
    slack: {
      /** Off by default: set true (and provide the URL file) to copy critical alerts to Slack. */
      enabled: false,
      /** File holding the incoming-webhook URL, which is a secret. */
      apiUrlFile: '/etc/alertmanager/secrets/slack_api_url',
      channel: '#ttquant-alerts',
    },
    /** Receiver of the local variant: a test's HTTP server on 127.0.0.1. */
    localWebhookUrl: 'http://127.0.0.1:5001/alerts',
  },
  /**
   * Scale-out: remote_write endpoints for long-term storage, per variant of prometheus.yml. Compose
   * writes to its `victoria-metrics` service; the local variant has none, because the native stack
   * adds its own VictoriaMetrics at start (on the port it runs it on) and a bare local Prometheus
   * needs nothing but its TSDB. Add an entry (see {@link RemoteWriteSpec}) and run
   * `npm run monitoring:generate`.
   */
  remoteWrite: {
    compose: [
      { url: `http://victoria-metrics:${COMPONENT_PORTS.victoriaMetrics}/api/v1/write`, name: 'victoria-metrics' },
    ],
    local: [],
  } as Readonly<Record<Variant, readonly RemoteWriteSpec[]>>,
  /** Retention of the Compose VictoriaMetrics (`-retentionPeriod`): a year of history next to Prometheus' 30 days. */
  victoriaMetricsRetention: '12',
  /** Storage limits, passed as flags where Prometheus starts (original: 30 days, 50 GB). */
  retention: { time: '30d', size: '50GB' },
  /** Filesystems HighDiskUsage ignores: in-memory and read-only image layers never fill a disk. */
  ignoredFilesystemTypes: 'tmpfs|ramfs|overlay|squashfs|iso9660',
  /** Base of every alert's `runbook_url`; point it at the hosted docs when the repository has a home. */
  runbookBase: 'docs/runbooks.md',
  /**
   * Quantiles of every latency histogram, by the name they go by: recorded for the alerts
   * (recording-rules.yml) and drawn on the dashboard's latency panels.
   */
  latencyQuantiles: { p50: 0.5, p95: 0.95, p99: 0.99 },
  /**
   * Quantiles of the dashboard's "Latency (native histograms)" row, by the name they go by. Native
   * histograms keep a bounded relative error at any quantile, so the row reaches into the tail
   * (p99.9), where the classic buckets' linear interpolation says little.
   */
  nativeLatencyQuantiles: { p50: 0.5, p99: 0.99, 'p99.9': 0.999 },
  /** Alert thresholds. Units: ms, ratios 0–1, USD, percent, connections, seconds. */
  thresholds: {
    marketDataLatencyMs: { warning: 1000, critical: 5000 }, // original
    /** Messages per second per venue below which the stream counts as thin. Not in the original. */
    marketDataMinRate: 1,
    orderLatencyMs: { warning: 500, critical: 2000 }, // original
    orderFailureRatio: { warning: 0.1, critical: 0.3 }, // original
    riskRejectionRatio: 0.05, // original
    strategyLossUsd: { warning: 1000, critical: 5000 }, // original
    winRate: 0.3, // original
    /** Closed trades a strategy needs before its win rate is judged: a fresh strategy sits at 0. */
    winRateMinClosedTrades: 20,
    /** Absolute position value per strategy and symbol, in USD. Not in the original. */
    positionValueUsd: 10_000,
    cpuPercent: 80, // original
    memoryPercent: 85, // original
    diskPercent: 85, // original
    databaseConnections: 80, // original
    /** Age in seconds of the oldest active transaction. Not in the original. */
    slowQuerySeconds: 60,
  },
} as const satisfies {
  readonly jobs: Readonly<Record<string, JobSpec>>;
  readonly [key: string]: unknown;
};

/** Key of a job in {@link monitoringConfig}. */
export type JobKey = keyof typeof monitoringConfig.jobs;

/** Which set of addresses a rendered file uses. */
export type Variant = 'compose' | 'local';

/**
 * The jobs in prometheus.yml order.
 *
 * @returns every job spec
 */
export function jobList(): readonly JobSpec[] {
  return Object.values(monitoringConfig.jobs);
}
