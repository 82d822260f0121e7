import type { DefinitionIssue } from './errors.js';
import type { MetricDef } from './metric.js';
import { EXEMPLAR_RUNE_LIMIT, HISTOGRAM_SUFFIXES, labelNameProblem, METRIC_NAME } from './naming.js';

/** Largest series capacity one metric may declare: a guard against a budget typo eating memory. */
export const MAX_SERIES_CAPACITY = 1_000_000;

// Catalog keys become instance properties next to the Catalog members, so a key must not shadow one
// of them (`beforeCollect`, the constructor) or take the `~` prefix kept for internals.
const RESERVED_KEYS: ReadonlySet<string> = new Set(['beforeCollect', 'constructor']);

const KINDS: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram']);

/**
 * Checks a set of metric declarations and returns every issue found (empty when valid). Pure; used
 * by `catalog()` at definition time and by tests.
 *
 * @param defs - catalog key → declaration
 * @param budgets - open-label budget overrides, catalog key → label → budget
 * @returns the issues, in declaration order
 */
export function validateDefinitions(
  defs: Readonly<Record<string, MetricDef>>,
  budgets: Readonly<Record<string, Readonly<Record<string, number>> | undefined>> = {},
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  // Every series name exposed so far → who exposes it. A histogram also claims its `_bucket`, `_sum`
  // and `_count` names, whichever of the two colliding declarations comes first.
  const seen = new Map<string, string>();
  const add = (path: string, message: string) => issues.push({ path, message });
  for (const [key, def] of Object.entries(defs)) {
    if (RESERVED_KEYS.has(key) || key.startsWith('~')) {
      add(
        key,
        `catalog key "${key}" is reserved (catalog members and "~" internals live on the instance); rename the key, the wire name is unaffected`,
      );
    }
    if (def === null || typeof def !== 'object' || !KINDS.has((def as { kind?: unknown }).kind as string)) {
      add(key, 'is not a metric declaration; use counter(), gauge() or histogram()');
      continue;
    }
    if (typeof def.name !== 'string' || !METRIC_NAME.test(def.name) || def.name.startsWith('__')) {
      add(`${key}.name`, `metric name "${String(def.name)}" must match ${METRIC_NAME.source} and not start with "__"`);
    }
    const taken = seen.get(def.name);
    if (taken !== undefined) add(`${key}.name`, `metric name "${def.name}" is already used by ${taken}`);
    else seen.set(def.name, `"${key}"`);
    if (def.kind === 'histogram') {
      for (const suffix of HISTOGRAM_SUFFIXES) {
        const series = def.name + suffix;
        const owner = seen.get(series);
        if (owner !== undefined) add(`${key}.name`, `histogram series "${series}" is already used by ${owner}`);
        else seen.set(series, `the ${suffix} series of histogram "${key}"`);
      }
    }
    if (typeof def.help !== 'string' || def.help.trim() === '')
      add(`${key}.help`, 'help text must be a non-empty string');
    let capacity = 1;
    let hasOpen = false;
    const overrides = (Object.hasOwn(budgets, key) ? budgets[key] : undefined) ?? {};
    for (const [label, domain] of Object.entries(def.labels ?? {})) {
      const path = `${key}.labels.${label}`;
      const problem = labelNameProblem(label);
      if (problem !== undefined) add(path, problem);
      if (domain?.kind === 'closed') {
        if (domain.values.length === 0) add(path, 'a closed domain needs at least one value');
        if (new Set(domain.values).size !== domain.values.length) add(path, 'closed values must be unique');
        if (domain.values.some((v) => typeof v !== 'string')) add(path, 'closed values must be strings');
        capacity *= Math.max(domain.values.length, 1);
      } else if (domain?.kind === 'open') {
        // Own keys only: a label named `constructor` must not read Object.prototype's.
        const budget = (Object.hasOwn(overrides, label) ? overrides[label] : undefined) ?? domain.budget;
        if (!Number.isInteger(budget) || budget < 1)
          add(path, `budget must be a positive integer, got ${String(budget)}`);
        capacity *= Math.max(budget, 1);
        hasOpen = true;
      } else {
        add(path, 'label domain must be closed(...) or open({ budget })');
      }
    }
    for (const label of Object.keys(overrides)) {
      if (!Object.hasOwn(def.labels ?? {}, label) || def.labels[label]?.kind !== 'open')
        add(`${key}.labels.${label}`, 'budget override names no open label');
    }
    // One more slot for the overflow series.
    if (hasOpen) capacity += 1;
    if (capacity > MAX_SERIES_CAPACITY) {
      add(
        `${key}.labels`,
        `declares ${capacity} series slots, over the limit of ${MAX_SERIES_CAPACITY}; lower a budget`,
      );
    }
    if (def.exemplars !== undefined) {
      if (def.kind === 'gauge')
        add(`${key}.exemplars`, 'a gauge has no exemplars (OpenMetrics: counters and histograms)');
      else checkExemplarLabels(key, def.exemplars, add);
    }
    if (def.kind === 'histogram') {
      const b = def.buckets;
      const native = def.native;
      if (native !== undefined) {
        if (!Number.isInteger(native.schema) || native.schema < -4 || native.schema > 8) {
          add(`${key}.native.schema`, 'the schema must be an integer from -4 to 8');
        }
        if (!Number.isInteger(native.maxBuckets) || native.maxBuckets < 8 || native.maxBuckets > 4096) {
          add(`${key}.native.maxBuckets`, 'maxBuckets must be an integer from 8 to 4096');
        }
        if (!(native.zeroThreshold >= 0 && native.zeroThreshold < Number.POSITIVE_INFINITY)) {
          add(`${key}.native.zeroThreshold`, 'the zero threshold must be a finite number >= 0');
        }
      }
      if (!Array.isArray(b) || (b.length === 0 && native === undefined)) {
        add(`${key}.buckets`, 'a histogram needs at least one bucket bound, or native resolution');
      } else if (b.some((x, i) => !Number.isFinite(x) || (i > 0 && x <= (b[i - 1] as number)))) {
        add(`${key}.buckets`, 'bucket bounds must be finite and strictly increasing (+Inf is implicit)');
      }
    }
  }
  for (const key of Object.keys(budgets)) {
    if (!Object.hasOwn(defs, key)) add(`budgets.${key}`, 'budget override names no metric of this catalog');
  }
  return issues;
}

// Exemplar label names: valid, distinct, at least one, and short enough together that a value
// of some length still fits under the OpenMetrics limit.
function checkExemplarLabels(
  key: string,
  names: readonly string[],
  add: (path: string, message: string) => void,
): void {
  const path = `${key}.exemplars`;
  if (names.length === 0) add(path, 'declare at least one exemplar label, or leave exemplars out');
  if (new Set(names).size !== names.length) add(path, 'exemplar label names must be distinct');
  for (const name of names) {
    const problem = labelNameProblem(name);
    if (problem !== undefined) add(path, problem);
  }
  const length = names.reduce((sum, name) => sum + name.length, 0);
  if (length >= EXEMPLAR_RUNE_LIMIT) {
    add(path, `exemplar label names take ${length} of the ${EXEMPLAR_RUNE_LIMIT} characters an exemplar may have`);
  }
}
