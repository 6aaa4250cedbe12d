/**
 * The service's structured log (pino): one JSON line per request and one per unexpected error,
 * never a body. Routes log no request data, and redaction is the second line of defence: the
 * Authorization header, cookies and any field that could hold a PAN, PIN, key, secret or
 * cryptogram are replaced wherever they would appear (CONVENTIONS.md §8).
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Log levels the configuration accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Paths pino censors (one and two levels deep, and the request objects pino's serializers know). */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'authorization',
  'body', 'req.body', 'request.body', 'payload',
  ...['pan', 'pin', 'psn', 'secret', 'token', 'key', 'cryptogram', 'data', 'block', 'issuerAuthenticationData', 'scripts'].flatMap((f) => [f, `*.${f}`]),
];

/** pino's options for the service: level, redaction, ISO timestamps, a stable base. */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service: 'opentsm' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
}

/** The service's logger, to stdout or to `destination` (tests capture it). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(level)) : pino(loggerOptions(level), destination);
}
