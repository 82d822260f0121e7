import { prettyFactory } from 'pino-pretty';

// The demo's output on a terminal: each service's JSON log line made readable by pino-pretty (time,
// level, message, then the fields), prefixed with the service's name; other lines (the services'
// "metrics at …" lines) pass as they are. Off a terminal the JSON lines are kept for machines.

const pretty = prettyFactory({
  colorize: true,
  translateTime: 'HH:MM:ss.l',
  // Every line says which service it is from already; pid and host say nothing in one process tree.
  ignore: 'pid,hostname,service,name',
  singleLine: true,
});

/**
 * One output line of a service, for a person.
 *
 * @param service - the service's short name
 * @param line - the line as the service wrote it
 * @returns `[service] ` and the pretty log line, or the line itself when it is not a JSON log line
 */
export function prettyLine(service: string, line: string): string {
  const text = line.startsWith('{') ? pretty(line).trimEnd() : line;
  return `[${service}] ${text === '' ? line : text}`;
}
