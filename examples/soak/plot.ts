import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import type { Sample } from './sampler.js';
import { seriesOf } from './slopes.js';

// The soak's plot, drawn by Vega-Lite and rendered to SVG headless (Vega's SVG renderer needs no
// canvas): RSS per process over time above, the tick stores' size (on disk, and as market data
// reports it when it does) below, with the end of warm-up marked on both.

/**
 * The plot of a soak as an SVG document.
 *
 * @param samples - the soak's samples
 * @param warmupMs - end of warm-up, ms since start (drawn as a vertical rule)
 * @returns the SVG text
 */
export async function renderPlot(samples: readonly Sample[], warmupMs: number): Promise<string> {
  const rss: { minute: number; value: number; series: string }[] = [];
  const store: { minute: number; value: number; series: string }[] = [];
  for (const { name, kind, points } of seriesOf(samples).values()) {
    const target = kind === 'rss' ? rss : kind === 'store-disk' || kind === 'store-reported' ? store : undefined;
    if (target === undefined) continue;
    const series =
      kind === 'store-reported' ? `${name} (db_tick_store_bytes)` : kind === 'store-disk' ? `${name} (on disk)` : name;
    for (const p of points) target.push({ minute: p.atMs / 60_000, value: p.value, series });
  }
  const warmup = {
    data: { values: [{ minute: warmupMs / 60_000 }] },
    mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
    encoding: { x: { field: 'minute', type: 'quantitative' } },
  } as const;
  const panel = (title: string, values: typeof rss, yTitle: string) => ({
    title,
    width: 640,
    height: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: false },
        encoding: {
          x: { field: 'minute', type: 'quantitative', title: 'minutes since start', scale: { nice: false } },
          y: { field: 'value', type: 'quantitative', title: yTitle },
          // Full names in the legend (Vega cuts labels at 160 px by default).
          color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 400 } },
        },
      },
      warmup,
    ],
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    vconcat: [
      panel('RSS per process (dashed: end of warm-up)', rss, 'RSS (MB)'),
      panel('Tick store size', store, 'MB'),
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
