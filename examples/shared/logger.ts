import pino, { type Logger } from 'pino';

/**
 * A structured JSON logger for one service (pino). `LOG_LEVEL` sets the level (default `info`);
 * tests set `silent`.
 */
export function createLogger(service: string, env: Readonly<Record<string, string | undefined>> = process.env): Logger {
  return pino({ name: service, level: env.LOG_LEVEL ?? 'info', base: { service } });
}

export type { Logger };
