import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { GaugeSlot } from './collected-series.js';

/** The event-loop gauges one collection writes. @internal */
export interface EventLoopGauges {
  readonly lag: GaugeSlot;
  readonly min: GaugeSlot;
  readonly max: GaugeSlot;
  readonly mean: GaugeSlot;
  readonly stddev: GaugeSlot;
  readonly p50: GaugeSlot;
  readonly p90: GaugeSlot;
  readonly p99: GaugeSlot;
}

/**
 * Measures the event loop for the `nodejs_eventloop_lag_*` gauges, as prom-client does.
 *
 * - The delay statistics (min, max, mean, stddev, p50, p90, p99) come from
 *   `perf_hooks.monitorEventLoopDelay`, whose timer samples the loop every `resolution` ms. Each
 *   collection reads them in seconds and resets the monitor, so a value describes the interval
 *   since the previous collection. An interval with no sample (two collections closer than the
 *   resolution) leaves the previous values in place.
 * - The lag is how long a `setImmediate` callback waits to run: the time to finish the current
 *   turn of the loop. A collection runs synchronously and cannot wait for that, so each collection
 *   schedules one measurement and the next collection reports it (the first is scheduled on
 *   construction). prom-client's Registry reads its gauge the same way, before its own callback
 *   has run.
 *
 * @internal
 */
export class EventLoopRecorder {
  readonly #gauges: EventLoopGauges;
  readonly #monitor: ELDHistogram | undefined;
  // One callback for every measurement: scheduling allocates only Node's Immediate.
  readonly #onImmediate = (): void => {
    this.#lag = (performance.now() - this.#scheduledAt) / 1000;
    this.#pending = undefined;
  };
  #pending: NodeJS.Immediate | undefined;
  #scheduledAt = 0;
  #lag = Number.NaN;
  #stopped = false;

  /**
   * Starts the delay monitor and the first lag measurement.
   *
   * @param gauges - where each collection writes
   * @param resolutionMs - the monitor's sampling period, an integer ≥ 1
   */
  constructor(gauges: EventLoopGauges, resolutionMs: number) {
    this.#gauges = gauges;
    let monitor: ELDHistogram | undefined;
    try {
      monitor = monitorEventLoopDelay({ resolution: resolutionMs });
      monitor.enable();
    } catch {
      // Runtimes that mimic Node without this monitor (ERR_NOT_IMPLEMENTED): the lag still works.
      monitor = undefined;
    }
    this.#monitor = monitor;
    this.#schedule();
  }

  /** Writes the gauges, resets the monitor, and schedules the next lag measurement. */
  collect(): void {
    if (this.#stopped) return;
    const g = this.#gauges;
    if (!Number.isNaN(this.#lag)) g.lag.set(this.#lag);
    const h = this.#monitor;
    if (h !== undefined && h.count > 0) {
      g.min.set(h.min / 1e9);
      g.max.set(h.max / 1e9);
      g.mean.set(h.mean / 1e9);
      g.stddev.set(h.stddev / 1e9);
      g.p50.set(h.percentile(50) / 1e9);
      g.p90.set(h.percentile(90) / 1e9);
      g.p99.set(h.percentile(99) / 1e9);
      h.reset();
    }
    this.#schedule();
  }

  /** Disables the monitor and cancels a pending measurement; later calls do nothing. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#monitor?.disable();
    if (this.#pending !== undefined) clearImmediate(this.#pending);
    this.#pending = undefined;
  }

  #schedule(): void {
    // Two collections in one turn of the loop share the measurement already under way.
    if (this.#pending !== undefined) return;
    this.#scheduledAt = performance.now();
    // Unref'd: a measurement never keeps a process alive that has nothing else to do.
    this.#pending = setImmediate(this.#onImmediate).unref();
  }
}
