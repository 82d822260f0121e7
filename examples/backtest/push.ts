import { type MetricSource, PushgatewayClient } from '@ttquant/metrics';
import type { BacktestMetrics } from './metrics.js';

// Checkpoints of a run: the run's catalogs pushed to one Pushgateway group, `job="backtest"` and
// `run_id`, with PUT, so the group always holds exactly the run's latest state. Prometheus scrapes
// the gateway with honor_labels, so the series keep these two labels and runs stay apart.

/** The `job` label of every backtest's group (the client takes it apart from the grouping labels). */
export const BACKTEST_JOB = 'backtest';

/** Where and how a run pushes. */
export interface PushTarget {
  /** The Pushgateway's base URL. */
  readonly url: string;
  /** The run's `run_id`. */
  readonly runId: string;
  /** HTTP timeout of one push, ms. */
  readonly timeoutMs: number;
}

/** Pushes a run's catalogs at checkpoints, stamping the backtest catalog's timing gauges first. */
export class CheckpointPusher {
  readonly #client: PushgatewayClient;
  readonly #sources: readonly MetricSource[];
  readonly #backtest: BacktestMetrics;
  #pushes = 0;

  /**
   * @param target - gateway URL, run id and timeout
   * @param backtest - the backtest catalog (its checkpoint time is set at each push)
   * @param sources - every catalog to push, `backtest` included
   * @throws MetricsOptionError when the URL or run id cannot form a group URL
   */
  constructor(target: PushTarget, backtest: BacktestMetrics, sources: readonly MetricSource[]) {
    this.#client = new PushgatewayClient({
      url: target.url,
      job: BACKTEST_JOB,
      grouping: { run_id: target.runId },
      timeoutMs: target.timeoutMs,
      // The run's metrics only: the SDK's self-metrics describe this short-lived process, not the run.
      selfMetrics: false,
    });
    this.#backtest = backtest;
    this.#sources = sources;
  }

  /** The group's URL, `<gateway>/metrics/job/backtest/run_id/<id>`. */
  get url(): string {
    return this.#client.url;
  }

  /** Pushes done so far. */
  get pushes(): number {
    return this.#pushes;
  }

  /**
   * Replaces the group with the catalogs' current values (`PUT`).
   *
   * @param now - wall clock, ms (the checkpoint's timestamp)
   * @throws PushgatewayError when the gateway refuses the push or does not answer in time
   */
  async checkpoint(now: number = Date.now()): Promise<void> {
    this.#backtest.lastCheckpoint.set({}, now / 1000);
    await this.#client.push(this.#sources);
    this.#pushes++;
  }
}
