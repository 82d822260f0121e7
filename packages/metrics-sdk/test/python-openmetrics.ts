// Debian's strict OpenMetrics parser (python3-prometheus-client,
// `prometheus_client.openmetrics.parser.text_string_to_metric_families`) for the OpenMetrics writer's
// tests. The test kit's `openPythonParser` runs the classic 0.0.4 parser only; this runs one short
// python process per body through the kit's `run`, which costs ~0.15 s of CPU per body.
// TODO(test-kit): fold into openPythonParser as a `format: 'openmetrics'` option.

import { type PyFamily, pythonWithPrometheusClient, run } from '@ttquant/test-kit';

/** An exemplar as the OpenMetrics parser read it; value and timestamp as python's repr(). */
export interface PyExemplar {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: string;
  readonly timestamp: string;
}

/** One family as the OpenMetrics parser read it: {@link PyFamily} plus its UNIT and exemplars. */
export interface PyOpenMetricsFamily extends PyFamily {
  readonly unit: string;
  readonly samples: (PyFamily['samples'][number] & { readonly exemplar: PyExemplar | null })[];
}

// Reads UTF-8 bytes (independent of the locale), writes ASCII-only JSON; repr() keeps every float
// exact and spells NaN/Inf. The parser is a generator: list() makes it read the whole body, `# EOF`
// included, so a body it rejects anywhere raises.
const PY_OPENMETRICS = `
import json, sys, traceback
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = sys.stdin.buffer.read().decode('utf-8')
try:
    out = [{'name': f.name, 'type': f.type, 'unit': f.unit, 'help': f.documentation,
            'samples': [{'name': s.name, 'labels': s.labels, 'value': repr(s.value),
                         'exemplar': None if s.exemplar is None else {
                             'labels': s.exemplar.labels, 'value': repr(s.exemplar.value),
                             'timestamp': repr(float(s.exemplar.timestamp))}}
                        for s in f.samples]}
           for f in text_string_to_metric_families(text)]
    sys.stdout.write(json.dumps({'families': out}, ensure_ascii=True))
except Exception:
    sys.stdout.write(json.dumps({'error': traceback.format_exc()}))
`;

/**
 * Parses one body with the strict OpenMetrics parser.
 *
 * @param body - the exposition
 * @returns the families in body order
 * @throws Error with python's traceback when the parser rejects the body
 */
export async function parseOpenMetricsWithPython(body: string | Uint8Array): Promise<PyOpenMetricsFamily[]> {
  const python = pythonWithPrometheusClient();
  if (python === null) throw new Error('no python3 with prometheus_client (apt-get install python3-prometheus-client)');
  const result = await run(python, ['-c', PY_OPENMETRICS], body);
  if (result.code !== 0) throw new Error(`python exited ${result.code}: ${result.stderr}`);
  const reply = JSON.parse(result.stdout) as { families?: PyOpenMetricsFamily[]; error?: string };
  if (reply.families === undefined) throw new Error(`the OpenMetrics parser rejected the body:\n${reply.error}`);
  return reply.families;
}
