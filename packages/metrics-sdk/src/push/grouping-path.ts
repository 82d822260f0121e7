// The path of a group on a Pushgateway: `/metrics/job/<job>{/<label>/<value>}`. A value the path
// cannot carry as it is (empty, or holding a `/`) is sent in the Pushgateway's base64 form,
// `<label>@base64/<base64url>` (an empty value as `=`); every other value is percent-encoded.

/** Label names as Prometheus accepts them. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Why a grouping key cannot be used, or `undefined`. @internal */
export function groupingProblem(job: string, grouping: Readonly<Record<string, string>>): string | undefined {
  if (job === '') return 'job: expected a non-empty string';
  for (const [name, value] of Object.entries(grouping)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) return `grouping.${name}: not a label name Prometheus accepts`;
    if (name === 'job') return 'grouping.job: the job is given as `job`, not as a grouping label';
    if (typeof value !== 'string') return `grouping.${name}: expected a string`;
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
