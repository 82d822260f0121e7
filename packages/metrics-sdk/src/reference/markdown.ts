import { TRADING_CATALOGS } from '../catalogs/services.js';
import type { CatalogDefs } from '../define/catalog.js';
import type { LabelDomain } from '../define/labels.js';
import type { MetricDef, MetricKind } from '../define/metric.js';
import { OVERFLOW_LABEL } from '../define/naming.js';
import { OMITTED_RUNTIME_METRICS } from '../runtime/omitted.js';
import { runtimeDefinitions } from '../runtime/runtime-metrics.js';
import {
  DROPPED_EXEMPLARS_METRIC,
  DROPPED_VALUES_METRIC,
  OVERFLOW_RECORDS_METRIC,
} from '../self-metrics/self-metrics.js';

// docs/metrics.md is rendered from the catalogs by a pure function, so the committed file can be
// compared with a fresh render in a test (test/reference/metrics-md.test.ts).

/** One catalog as the reference presents it. */
export interface ReferenceCatalog {
  /** Section title, e.g. `Market data`. */
  readonly title: string;
  /** Exported class name, e.g. `MarketDataMetrics`. */
  readonly className: string;
  /** The service that serves this catalog, e.g. `market-data`. */
  readonly service: string;
  /** Default port of that service's metrics server. */
  readonly port: number;
  /** The catalog's validated declarations: `MarketDataMetrics.definitions`. */
  readonly definitions: CatalogDefs;
  /** Extra notes, wire name → note, shown beside the computed ones. */
  readonly notes?: Readonly<Record<string, string>>;
}

/** Title and introduction of the rendered reference. */
export interface ReferenceOptions {
  /** First heading; default `Metric reference`. */
  readonly title?: string;
  /** Markdown paragraph(s) under the title. */
  readonly intro?: string;
}

/** A promtool lint finding a declaration draws: the metric and promtool's words. */
export interface LintFinding {
  readonly metric: string;
  readonly finding: string;
}

const KINDS: readonly MetricKind[] = ['counter', 'gauge', 'histogram'];

// The promtool `check metrics` rules that can fire on a catalog declaration, in promtool's words
// (client_golang promlint: lintCounter, lintUnitAbbreviations).
const UNIT_ABBREVIATIONS: ReadonlySet<string> = new Set([
  's',
  'ms',
  'us',
  'ns',
  'sec',
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'pb',
  'm',
  'h',
  'd',
]);

const DEFAULT_INTRO = [
  'Every metric the four catalogs of `@ttquant/metrics` expose, with its labels and their allowed',
  'values. The wire names are a contract with existing dashboards and alerts: renaming one is a',
  'breaking change.',
].join('\n');

/**
 * The promtool lint findings one declaration draws (the rules of promtool's `check metrics` that
 * depend only on the declaration: counter suffix, `_total` on a non-counter, abbreviated units).
 *
 * @param def - a metric declaration
 * @returns promtool's finding texts, empty when the name is clean
 */
export function lintFindings(def: MetricDef): string[] {
  const findings: string[] = [];
  const total = def.name.endsWith('_total');
  if (def.kind === 'counter' && !total) findings.push('counter metrics should have "_total" suffix');
  if (def.kind !== 'counter' && total) findings.push('non-counter metrics should not have "_total" suffix');
  if (def.name.split('_').some((part) => UNIT_ABBREVIATIONS.has(part))) {
    findings.push('metric names should not contain abbreviated units');
  }
  return findings;
}

// Notes a catalog's reference section adds under a metric's table, by wire name.
const NOTES: Readonly<Record<string, string>> = {
  strategy_sharpe_ratio:
    'Exposes `NaN` until the strategy has enough return samples for a ratio. In PromQL, ' +
    '`strategy_sharpe_ratio == strategy_sharpe_ratio` keeps only the defined samples.',
};

/**
 * The four trading catalogs ({@link TRADING_CATALOGS}) with their services and default ports, as
 * the reference presents them.
 *
 * @returns market data, gateway, strategy performance and strategy engine
 */
export function defaultReferenceCatalogs(): ReferenceCatalog[] {
  return TRADING_CATALOGS.map((info) => {
    const notes = Object.fromEntries(
      Object.values(info.definitions)
        .filter((def) => Object.hasOwn(NOTES, def.name))
        .map((def) => [def.name, NOTES[def.name] as string]),
    );
    return {
      title: info.title,
      className: info.className,
      service: info.service,
      port: info.port,
      definitions: info.definitions,
      ...(Object.keys(notes).length > 0 ? { notes } : {}),
    };
  });
}

/**
 * Renders the metric reference (docs/metrics.md) from catalog declarations: a summary, the
 * conventions every metric follows, the known promtool findings, then per catalog a section with
 * one table per metric. Pure and deterministic: no clock, no file access.
 *
 * @param catalogs - the catalogs to document, in order
 * @param options - title and introduction
 * @returns the Markdown text, ending in a newline
 * @example
 * ```ts
 * const markdown = renderMetricReference(defaultReferenceCatalogs());
 * ```
 */
export function renderMetricReference(catalogs: readonly ReferenceCatalog[], options: ReferenceOptions = {}): string {
  const out: string[] = [];
  out.push(`# ${options.title ?? 'Metric reference'}`, '');
  out.push(
    '<!-- Generated from the catalogs by `npm run docs:reference` ' +
      '(packages/metrics-sdk/scripts/write-reference.ts). Do not edit by hand. -->',
    '',
  );
  out.push(options.intro ?? DEFAULT_INTRO, '');
  renderSummary(out, catalogs);
  renderConventions(out);
  renderFindings(out, catalogs);
  renderSelfMetrics(out);
  renderRuntimeMetrics(out);
  for (const cat of catalogs) renderCatalog(out, cat);
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

function defsOf(cat: ReferenceCatalog): MetricDef[] {
  return Object.values(cat.definitions);
}

function countKinds(defs: readonly MetricDef[]): Record<MetricKind, number> {
  const counts: Record<MetricKind, number> = { counter: 0, gauge: 0, histogram: 0 };
  for (const def of defs) counts[def.kind]++;
  return counts;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function kindSummary(defs: readonly MetricDef[]): string {
  const counts = countKinds(defs);
  return `${plural(defs.length, 'metric')}: ${KINDS.map((kind) => plural(counts[kind], kind)).join(', ')}`;
}

function renderSummary(out: string[], catalogs: readonly ReferenceCatalog[]): void {
  const all = catalogs.flatMap(defsOf);
  const total = countKinds(all);
  out.push('## Summary', '');
  out.push(`${kindSummary(all)}, in ${plural(catalogs.length, 'catalog')}.`, '');
  out.push('| Catalog | Service | Default port | Metrics | Counters | Gauges | Histograms |');
  out.push('| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const cat of catalogs) {
    const defs = defsOf(cat);
    const c = countKinds(defs);
    out.push(
      `| [\`${cat.className}\`](#${anchor(`${cat.title}: ${cat.className}`)}) | ${cat.service} | ${cat.port} | ` +
        `${defs.length} | ${c.counter} | ${c.gauge} | ${c.histogram} |`,
    );
  }
  out.push(
    `| **Total** | | | **${all.length}** | **${total.counter}** | **${total.gauge}** | **${total.histogram}** |`,
    '',
  );
}

function renderConventions(out: string[]): void {
  out.push('## Conventions', '');
  out.push(
    '- **Names** are exact wire names: nothing is appended. A histogram `x` is exposed as ' +
      '`x_bucket{le="…"}` (cumulative, with `le="+Inf"`), `x_sum` and `x_count`.',
    '- **Closed labels** accept only the values listed. In TypeScript another value is a compile ' +
      'error; untyped JavaScript gets a `MetricLabelError` naming the metric, the label and the allowed values.',
    '- **Open labels** (`symbol`, `strategy`) have a cardinality budget per metric and process: the ' +
      'first *budget* distinct values get their own series; a record with a later value goes to the ' +
      `metric's one overflow series, labelled only \`${OVERFLOW_LABEL}="true"\` (OpenTelemetry's ` +
      'convention), so no record is lost and memory stays bounded. Every folded record is counted in ' +
      '`family.overflowed` and exported as `ttquant_metrics_overflow_records_total{metric="…"}`; the ' +
      'first one per metric logs a warning. Raise a budget at start-up with the constructor option ' +
      '`budgets`, e.g. `new MarketDataMetrics({ budgets: { received: { symbol: 500 } } })`.',
    '- **Removing series**: `family.remove(labels)` drops one series (a delisted symbol) from the ' +
      'exposition; `family.reset()` drops them all. A removed label value keeps its budget slot, so ' +
      'bound handles stay valid; recording it again brings the series back.',
    '- **Invalid values are dropped, never recorded**: a negative or non-finite counter increment, a ' +
      'non-finite gauge value (except on gauges marked *emits non-finite*), a negative or non-finite ' +
      'histogram sample. Each drop adds 1 to `family.dropped`, exported as ' +
      '`ttquant_metrics_dropped_values_total{metric="…"}`, and calls the `onInvalidValue` hook ' +
      '(default: one process warning per metric), so a bad input never corrupts a series.',
    '- **Series** appear when first recorded or bound, starting at 0. A family with no series yet ' +
      'still exposes its `# HELP` and `# TYPE` lines. *Series capacity* is the most series a metric ' +
      'can hold: the product over its labels of the closed values or the budget, plus the overflow ' +
      'series when the metric has an open label.',
    '- **Units**: `1` is a count or ratio, `ms` milliseconds, `s` seconds, `usd` US dollars; ' +
      '— means the unit is the instrument’s own (a price, a quantity in base units).',
    '',
  );
}

function renderFindings(out: string[], catalogs: readonly ReferenceCatalog[]): void {
  const findings: LintFinding[] = [];
  for (const def of catalogs.flatMap(defsOf)) {
    for (const finding of lintFindings(def)) findings.push({ metric: def.name, finding });
  }
  out.push('## Known promtool findings', '');
  if (findings.length === 0) {
    out.push('`promtool check metrics` reports nothing for these names.', '');
    return;
  }
  out.push(
    `\`promtool check metrics\` reports ${plural(findings.length, 'finding')} on these names. They are ` +
      'kept on purpose: existing dashboards and alerts use the names, and renaming a metric is a ' +
      'breaking change. Conformance tests allow exactly these findings and fail on any other.',
    '',
  );
  out.push('| Metric | promtool says |', '| --- | --- |');
  for (const { metric, finding } of findings) out.push(`| \`${metric}\` | ${cell(finding)} |`);
  out.push('');
}

function renderSelfMetrics(out: string[]): void {
  out.push('## Self-metrics', '');
  out.push(
    'Every exposition path (`PrometheusWriter`, `createMetricsServer()`, `CatalogMetricProducer`, ' +
      '`registerCatalogs()`) appends these counters after the catalogs, so no record is lost without a ' +
      'count; each series exists at 0 from the first scrape. Turn them off with `selfMetrics: false`.',
    '',
    '| Metric | Kind | Labels | Counts |',
    '| --- | --- | --- | --- |',
    `| \`${OVERFLOW_RECORDS_METRIC}\` | counter | \`metric\`: each metric with an open label | ` +
      `records folded into that metric's \`${OVERFLOW_LABEL}="true"\` series (\`family.overflowed\`) |`,
    `| \`${DROPPED_VALUES_METRIC}\` | counter | \`metric\`: every metric | ` +
      'values dropped as invalid (`family.dropped`) |',
    `| \`${DROPPED_EXEMPLARS_METRIC}\` | counter | \`metric\`: each metric that declares exemplars | ` +
      'exemplars dropped: labels not declared or not strings, or over 128 characters (`family.exemplarsDropped`) |',
    '',
  );
}

// The runtime metrics are prom-client's names rather than part of the catalog contract, so they get
// one table here instead of a section per metric (and stay out of the summary counts).
function renderRuntimeMetrics(out: string[]): void {
  const defs: MetricDef[] = Object.values(runtimeDefinitions);
  out.push('## Runtime metrics', '');
  out.push(
    '`RuntimeMetrics` records the Node.js runtime of the process (CPU, memory, file descriptors, event ' +
      'loop, heap spaces, active handles, garbage collection, version) into the same storage as the ' +
      'catalogs, so the Prometheus writer, the OTel bridge and `registerCatalogs()` all carry it. ' +
      '`createMetricsServer()` serves it after the catalogs; pass `runtimeMetrics: false` to leave it out. ' +
      "Names, kinds, help texts and labels are those of prom-client 15's `collectDefaultMetrics` on " +
      'Linux, so dashboards built on them keep working; they are not part of the catalog contract. ' +
      `${kindSummary(defs)}. Units: \`s\` seconds, \`By\` bytes, \`1\` a count.`,
    '',
    '- Figures read from procfs (`process_virtual_memory_bytes`, `process_heap_bytes`, ' +
      '`process_open_fds`, `process_max_fds`) have no series on platforms without it.',
    '- CPU counters count from the process start (prom-client counts from its registration); ' +
      '`rate()` is the same.',
    '- The event-loop statistics describe the delays sampled since the previous collection; ' +
      '`nodejs_eventloop_lag_seconds` is measured from each collection and reported at the next one.',
    '- A `type` or `space` that disappears stays at 0 rather than being removed, so series are stable ' +
      'and their sum is the total.',
    '',
    '| Metric | Kind | Unit | Labels | Help |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const def of defs) {
    const labels = Object.entries(def.labels).map(([name, domain]) =>
      domain.kind === 'closed'
        ? `\`${name}\` (closed): ${domain.values.map((v) => `\`${v}\``).join(', ')}`
        : `\`${name}\` (open, budget ${domain.budget})`,
    );
    const buckets = def.kind === 'histogram' ? `<br>buckets (\`le\`): ${[...def.buckets, '+Inf'].join(', ')}` : '';
    out.push(
      `| \`${def.name}\` | ${def.kind} | ${unitOf(def)} | ${labels.length === 0 ? '—' : labels.join('<br>')}${buckets} | ` +
        `${cell(def.help)} |`,
    );
  }
  out.push(
    '',
    'Left out on purpose: prom-client also exposes these gauges, whose names end in `_total`, which ' +
      'promtool flags (“non-counter metrics should not have "_total" suffix”). The per-type gauges ' +
      'above carry the same values: `sum(nodejs_active_handles)` is `nodejs_active_handles_total`.',
    '',
  );
  for (const name of OMITTED_RUNTIME_METRICS) out.push(`- \`${name}\``);
  out.push('');
}

function renderCatalog(out: string[], cat: ReferenceCatalog): void {
  const defs = defsOf(cat);
  out.push(`## ${cat.title}: ${cat.className}`, '');
  out.push(
    `Served by the **${cat.service}** service, default port **${cat.port}** (\`GET /metrics\`). ` +
      `${kindSummary(defs)}.`,
    '',
  );
  out.push('| Metric | Kind | Unit | Labels |', '| --- | --- | --- | --- |');
  for (const def of defs) {
    const labels = Object.keys(def.labels);
    out.push(
      `| [\`${def.name}\`](#${anchor(def.name)}) | ${def.kind} | ${unitOf(def)} | ` +
        `${labels.length === 0 ? '—' : labels.map((l) => `\`${l}\``).join(', ')} |`,
    );
  }
  out.push('');
  for (const [key, def] of Object.entries(cat.definitions)) renderMetric(out, cat, key, def);
}

function renderMetric(out: string[], cat: ReferenceCatalog, key: string, def: MetricDef): void {
  out.push(`### ${def.name}`, '');
  out.push('| Field | Value |', '| --- | --- |');
  out.push(`| Kind | ${def.kind} |`);
  out.push(`| Unit | ${unitOf(def)} |`);
  out.push(`| Help | ${cell(def.help)} |`);
  out.push(`| Catalog key | \`${cat.className}\` → \`${key}\` |`);
  const labels = Object.entries(def.labels);
  out.push(`| Labels | ${labels.length === 0 ? 'none' : labels.map(([n, d]) => describeLabel(n, d)).join('<br>')} |`);
  if (def.kind === 'histogram') {
    out.push(`| Buckets (\`le\`) | ${[...def.buckets.map(String), '+Inf'].join(', ')} |`);
  }
  out.push(`| Series capacity | ${capacityOf(def)} |`);
  out.push(`| Invalid values | ${invalidPolicy(def)} |`);
  out.push(`| Across cluster workers | ${clusterPolicy(def)} |`);
  const notes = [
    ...lintFindings(def).map(
      (finding) => `promtool: “${finding}”. Kept for compatibility with existing dashboards and alerts.`,
    ),
    ...(cat.notes?.[def.name] !== undefined ? [cat.notes[def.name] as string] : []),
  ];
  if (notes.length > 0) out.push(`| Notes | ${notes.map(cell).join('<br>')} |`);
  out.push('');
}

function describeLabel(name: string, domain: LabelDomain): string {
  if (domain.kind === 'closed') return `\`${name}\` (closed): ${domain.values.map((v) => `\`${v}\``).join(', ')}`;
  return `\`${name}\` (open): budget ${domain.budget}, then \`${OVERFLOW_LABEL}="true"\``;
}

function capacityOf(def: MetricDef): string {
  const domains = Object.values(def.labels);
  const radixes = domains.map((d) => (d.kind === 'closed' ? d.values.length : d.budget));
  const overflow = domains.some((d) => d.kind === 'open') ? 1 : 0;
  const total = radixes.reduce((a, b) => a * b, 1) + overflow;
  if (radixes.length <= 1 && overflow === 0) return String(total);
  return `${radixes.join(' × ')}${overflow === 1 ? ' + 1' : ''} = ${total}`;
}

function invalidPolicy(def: MetricDef): string {
  if (def.kind === 'counter') return 'negative or non-finite increments dropped and counted';
  if (def.kind === 'histogram') return 'negative or non-finite samples dropped and counted';
  if (def.nonFinite === 'emit') return 'emits non-finite: `NaN` and ±Inf are stored and exposed (`nonFinite: "emit"`)';
  return 'non-finite values dropped and counted; negative values are valid';
}

function clusterPolicy(def: MetricDef): string {
  if (def.kind !== 'gauge') return 'summed';
  const aggregation = def.clusterAggregation ?? 'perWorker';
  if (aggregation === 'perWorker') return 'one series per worker, labelled `worker` (`clusterAggregation` default)';
  const how = { sum: 'summed', min: 'the minimum', max: 'the maximum' }[aggregation];
  return `${how} (\`clusterAggregation: "${aggregation}"\`)`;
}

function unitOf(def: MetricDef): string {
  return def.unit === '' ? '—' : `\`${def.unit}\``;
}

// Table cells: a pipe would end the cell, a newline the row.
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}
