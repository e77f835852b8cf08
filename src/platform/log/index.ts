import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks in every log line. Secrets never reach a logger on purpose; this is the
 * second line of defence for request bodies and headers that carry them.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  'secrets',
  'token',
  '*.password',
  '*.secrets',
  '*.token',
  '*.apiKey',
  '*.privateKey',
  '*.passphrase',
  'body.password',
  'body.secrets',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'xdrhub' } }, destination);
}
