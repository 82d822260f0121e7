// The path of a group on a Pushgateway: `/metrics/job/<job>{/<label>/<value>}`. A value the path
// cannot carry as it is (empty, or holding a `/`) is sent in the Pushgateway's base64 form,
// `<label>@base64/<base64url>` (an empty value as `=`); every other value is percent-encoded.

/** Label names as Prometheus accepts them. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The first grouping label that cannot be used, and why; `undefined` when all can.
 *
 * @internal
 */
export function groupingProblem(
  grouping: Readonly<Record<string, unknown>>,
): { readonly label: string; readonly reason: string } | undefined {
  for (const [label, value] of Object.entries(grouping)) {
    if (!LABEL_NAME.test(label) || label.startsWith('__'))
      return { label, reason: 'not a label name Prometheus accepts' };
    if (label === 'job') return { label, reason: 'the job is given as `job`, not as a grouping label' };
    if (typeof value !== 'string') return { label, reason: 'expected a string' };
  }
  return undefined;
}

/**
 * The group's path below the Pushgateway's URL.
 *
 * @param job - the job label (non-empty)
 * @param grouping - the other grouping labels, in the order given
 * @returns e.g. `/metrics/job/backtest/run_id/2026-12-04T10%3A00`
 * @internal
 */
export function groupingPath(job: string, grouping: Readonly<Record<string, string>>): string {
  const parts = ['/metrics', segment('job', job)];
  for (const [name, value] of Object.entries(grouping)) parts.push(segment(name, value));
  return parts.join('/');
}

function segment(name: string, value: string): string {
  if (value === '') return `${name}@base64/=`;
  if (value.includes('/')) return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
  return `${name}/${encodeURIComponent(value)}`;
}
