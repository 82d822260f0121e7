// Conformance of the runtime metrics' body with the real consumers: promtool's linter finds nothing
// at all (the gauges prom-client names like counters are left out, OMITTED_RUNTIME_METRICS), and
// Debian's python3-prometheus-client classic parser reads every declared family with its kind.

import { describeWithTools, parseWithPython, promtoolCheckMetrics } from '@ttquant/test-kit';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import { OMITTED_RUNTIME_METRICS } from '../../src/runtime/omitted.js';
import { RuntimeMetrics, runtimeDefinitions } from '../../src/runtime/runtime-metrics.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

const rm = new RuntimeMetrics({ onInvalidValue: throwOnInvalidValue });
// The self-metrics included, as a server appends them.
const writer = new PrometheusWriter([rm]);
let body = '';

beforeAll(async () => {
  // A monitor sample and a lag measurement first, so the event-loop gauges have series too.
  writer.render();
  await new Promise((resolve) => setTimeout(resolve, 50));
  body = writer.renderText();
});

afterAll(() => rm.stop());

describe('the runtime body', () => {
  it('declares every runtime metric, with a series for the event-loop gauges', () => {
    const types = [...body.matchAll(/^# TYPE (nodejs_\S+|process_\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(types.sort()).toEqual(
      Object.values(runtimeDefinitions)
        .map((d) => `${d.name} ${d.kind}`)
        .sort(),
    );
    expect(body).toMatch(/^nodejs_eventloop_lag_p99_seconds \S+$/m);
    for (const name of OMITTED_RUNTIME_METRICS) expect(body).not.toContain(name);
  });
});

describeWithTools('promtool check metrics on the runtime body', ['promtool'], () => {
  it('reports no finding at all', async () => {
    const { code, findings } = await promtoolCheckMetrics(body);
    expect(findings).toEqual([]);
    expect(code).toBe(0);
  });

  it("reports on prom-client's default body exactly the omitted names", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const { code, findings } = await promtoolCheckMetrics(await registry.metrics());
    expect(findings.sort()).toEqual(
      OMITTED_RUNTIME_METRICS.map((name) => `${name} non-counter metrics should not have "_total" suffix`).sort(),
    );
    expect(code).toBe(3);
  });
});

describeWithTools('python3-prometheus-client parses the runtime body', ['python-prometheus-client'], () => {
  it('finds every runtime family with its kind and help', async () => {
    const families = await parseWithPython(body);
    // The classic parser strips `_total` from a counter family's name (its samples keep it).
    const parsed = new Map(
      families.map((f) => [f.type === 'counter' ? `${f.name}_total` : f.name, { type: f.type, help: f.help }]),
    );
    for (const def of Object.values(runtimeDefinitions)) {
      expect(parsed.get(def.name), def.name).toEqual({ type: def.kind, help: def.help });
    }
  });
});
