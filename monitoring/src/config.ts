import { SERVICE_PORTS } from '@ttquant/metrics';

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
  /** The original system's six jobs (market data, gateway, strategy engine, database, node, Prometheus). */
  jobs: {
    marketData: {
      name: 'market-data',
      about: 'market-data services, one per venue (MarketDataMetrics)',
      scrape: 'trading',
      compose: [`md-binance:${md}`, `md-okx:${md}`],
      local: [`127.0.0.1:${md}`],
    },
    gateway: {
      name: 'gateway',
      about: 'order gateways, one per venue (GatewayMetrics)',
      scrape: 'trading',
      compose: [`gateway-binance:${gw}`, `gateway-okx:${gw}`],
      local: [`127.0.0.1:${gw}`],
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
  },
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
   * Scale-out: remote_write endpoints for long-term storage, rendered as `remote_write` in both
   * prometheus.yml variants. Off (empty) by default, because the local TSDB (30 days) is enough for one
   * trading host; add an entry (see {@link RemoteWriteSpec}) and run `npm run monitoring:generate`.
   */
  remoteWrite: [] as readonly RemoteWriteSpec[],
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
