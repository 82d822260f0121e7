import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

// Small functions that return configured panel builders. Every panel and every target carries the
// datasource explicitly: a provisioned dashboard must not depend on which datasource is the default.

/** One PromQL query of a panel. */
export interface QuerySpec {
  /** The PromQL expression, with Grafana variables (`$exchange`, `$__rate_interval`). */
  readonly expr: string;
  /** Series name template, e.g. `{{exchange}} {{symbol}}`. */
  readonly legend?: string;
  /**
   * Ask Prometheus for the exemplars of the histogram the query reads (its metric declares
   * exemplars): Grafana draws them as points that link to their trace.
   */
  readonly exemplars?: boolean;
}

/** What every panel has. */
export interface PanelSpec {
  readonly title: string;
  /** Shown as the panel's (i) tooltip; usually the metric's HELP text. */
  readonly description: string;
  readonly queries: readonly QuerySpec[];
  /** Grafana unit id (`ms`, `currencyUSD`, `percentunit`, `mps`). */
  readonly unit?: string;
  /** Width in grid columns, of 24. */
  readonly span: number;
  /** Height in grid rows. */
  readonly height?: number;
}

/** A color step of a threshold scale: the color applies from `from` upwards (`null`: from -Inf). */
export interface ThresholdStep {
  readonly color: string;
  readonly from: number | null;
}

/** A value shown as text instead of a number (1 → `UP`). */
export interface ValueText {
  readonly value: number;
  readonly text: string;
  readonly color: string;
}

/** Any panel builder the dashboard holds. */
export type AnyPanelBuilder = timeseries.PanelBuilder | stat.PanelBuilder | gauge.PanelBuilder | table.PanelBuilder;

const DEFAULT_HEIGHT = 8;

/**
 * The Prometheus datasource reference every panel, target and variable carries.
 *
 * @param uid - the datasource uid from the provisioning file
 * @returns the reference
 */
export function prometheusDatasource(uid: string): dashboard.DataSourceRef {
  return { type: 'prometheus', uid };
}

function refId(index: number): string {
  return String.fromCharCode('A'.charCodeAt(0) + index);
}

/** A PromQL target in code mode, before it is made a range or an instant query. */
function queryTarget(ds: dashboard.DataSourceRef, query: QuerySpec, index: number): prometheus.DataqueryBuilder {
  const target = new prometheus.DataqueryBuilder()
    .datasource(ds)
    .refId(refId(index))
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(query.expr)
    .legendFormat(query.legend ?? '__auto');
  return query.exemplars === true ? target.exemplar(true) : target;
}

/** The setters every panel builder has, each returning the builder. */
interface PanelSetters<B> {
  title(title: string): B;
  description(description: string): B;
  datasource(datasource: dashboard.DataSourceRef): B;
  targets(targets: prometheus.DataqueryBuilder[]): B;
  span(w: number): B;
  height(h: number): B;
}

/**
 * Sets what every panel has from its spec: title, description, datasource, one target per query
 * (range queries unless `target` says otherwise), and size.
 */
function specPanel<B extends PanelSetters<B>>(
  panel: B,
  ds: dashboard.DataSourceRef,
  spec: PanelSpec,
  target: typeof rangeTarget = rangeTarget,
): B {
  return panel
    .title(spec.title)
    .description(spec.description)
    .datasource(ds)
    .targets(spec.queries.map((q, i) => target(ds, q, i)))
    .span(spec.span)
    .height(spec.height ?? DEFAULT_HEIGHT);
}

/** Sets the unit last, when the spec has one: the generated JSON's key order depends on it. */
function withUnit<B extends { unit(unit: string): B }>(panel: B, unit: string | undefined): B {
  return unit === undefined ? panel : panel.unit(unit);
}

/**
 * A range query target (time series).
 *
 * @param ds - the datasource reference
 * @param query - the expression and legend
 * @param index - position in the panel, giving refId A, B, …
 * @returns the target builder
 */
export function rangeTarget(ds: dashboard.DataSourceRef, query: QuerySpec, index: number): prometheus.DataqueryBuilder {
  return queryTarget(ds, query, index).range();
}

/**
 * An instant query target in table format, for tables of current values.
 *
 * @param ds - the datasource reference
 * @param query - the expression
 * @param index - position in the panel
 * @returns the target builder
 */
export function instantTableTarget(
  ds: dashboard.DataSourceRef,
  query: QuerySpec,
  index: number,
): prometheus.DataqueryBuilder {
  return queryTarget(ds, query, index).format(prometheus.PromQueryFormat.Table).instant();
}

/**
 * A threshold scale.
 *
 * @param steps - color steps, lowest first; the first should start at `null`
 * @returns the thresholds builder
 */
export function thresholds(steps: readonly ThresholdStep[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map((s) => ({ color: s.color, value: s.from })));
}

function valueMappings(texts: readonly ValueText[]): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  texts.forEach((t, index) => {
    options[String(t.value)] = { text: t.text, color: t.color, index };
  });
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

const lastValue = (): common.ReduceDataOptionsBuilder =>
  new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

/** Options of a time series panel beyond {@link PanelSpec}. */
export interface TimeseriesOptions {
  /**
   * Alert thresholds drawn as dashed lines, each step's color from its value upwards; the first
   * step (from `null`) is the color below the lowest line.
   */
  readonly thresholdLines?: readonly ThresholdStep[];
}

/**
 * A time series panel with a visible legend and a shared tooltip.
 *
 * @param ds - the datasource reference
 * @param spec - title, description, queries, unit and size
 * @param options - threshold lines
 * @returns the panel builder
 */
export function timeseriesPanel(
  ds: dashboard.DataSourceRef,
  spec: PanelSpec,
  options: TimeseriesOptions = {},
): timeseries.PanelBuilder {
  const panel = specPanel(new timeseries.PanelBuilder(), ds, spec)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    );
  if (options.thresholdLines !== undefined) {
    panel
      .thresholds(thresholds(options.thresholdLines))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return withUnit(panel, spec.unit);
}

/** Options of a stat panel beyond {@link PanelSpec}. */
export interface StatOptions {
  /** Texts for exact values (status panels). */
  readonly valueTexts?: readonly ValueText[];
  /** Text shown for NaN (a ratio that is not defined yet). */
  readonly nanText?: string;
  readonly thresholds?: readonly ThresholdStep[];
  /** Draw a sparkline under the value. */
  readonly sparkline?: boolean;
  /** Color the background rather than the value (status panels). */
  readonly background?: boolean;
}

/**
 * A stat panel showing the last value of each series, with its name.
 *
 * @param ds - the datasource reference
 * @param spec - title, description, queries, unit and size
 * @param options - value texts, thresholds, sparkline
 * @returns the panel builder
 */
export function statPanel(ds: dashboard.DataSourceRef, spec: PanelSpec, options: StatOptions = {}): stat.PanelBuilder {
  const mappings: dashboard.ValueMapping[] = options.valueTexts === undefined ? [] : valueMappings(options.valueTexts);
  if (options.nanText !== undefined) {
    mappings.push({
      type: dashboard.MappingType.SpecialValue,
      options: { match: dashboard.SpecialValueMatch.NotANumber, result: { text: options.nanText, index: 0 } },
    });
  }
  const panel = specPanel(new stat.PanelBuilder(), ds, spec)
    .reduceOptions(lastValue())
    .graphMode(options.sparkline === true ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .colorMode(options.background === true ? common.BigValueColorMode.Background : common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .mappings(mappings)
    .thresholds(thresholds(options.thresholds ?? [{ color: 'green', from: null }]));
  return withUnit(panel, spec.unit);
}

/** Options of a gauge panel beyond {@link PanelSpec}. */
export interface GaugeOptions {
  readonly min: number;
  readonly max: number;
  readonly thresholds: readonly ThresholdStep[];
}

/**
 * A gauge panel with threshold markers.
 *
 * @param ds - the datasource reference
 * @param spec - title, description, queries, unit and size
 * @param options - scale and thresholds
 * @returns the panel builder
 */
export function gaugePanel(ds: dashboard.DataSourceRef, spec: PanelSpec, options: GaugeOptions): gauge.PanelBuilder {
  const panel = specPanel(new gauge.PanelBuilder(), ds, spec)
    .reduceOptions(lastValue())
    .min(options.min)
    .max(options.max)
    .showThresholdMarkers(true)
    .showThresholdLabels(false)
    .thresholds(thresholds(options.thresholds));
  return withUnit(panel, spec.unit);
}

/**
 * A table of current values: instant queries, one row per series, label columns kept and the
 * bookkeeping columns (time, job, instance) hidden.
 *
 * @param ds - the datasource reference
 * @param spec - title, description, queries, unit and size
 * @param valueColumn - header of the value column
 * @returns the panel builder
 */
export function tablePanel(ds: dashboard.DataSourceRef, spec: PanelSpec, valueColumn: string): table.PanelBuilder {
  const panel = specPanel(new table.PanelBuilder(), ds, spec, instantTableTarget).withTransformation({
    id: 'organize',
    options: {
      excludeByName: { Time: true, __name__: true, job: true, instance: true },
      renameByName: { Value: valueColumn },
    },
  });
  return withUnit(panel, spec.unit);
}
