import pino from 'pino';

export type Logger = pino.Logger;

/**
 * One logger per process. Workers buffer their request lines (one write per 4 KiB, and at
 * least every second) so a request never waits on the terminal; flushed synchronously on exit. Redaction is a second fence: nothing we log
 * should carry credentials in the first place.
 */
const siblings = new WeakMap<Logger, Logger>();

/**
 * The logger for the one line per request: same destination and level, without the redaction
 * pass (a walk of every line, measurable at 10,000 lines/s). Its fields are fixed by the app
 * (method, route pattern, status, time, federation ID, client address): no secret can be there.
 */
export function requestLogger(log: Logger): Logger {
  return siblings.get(log) ?? log;
}

export function createLogger(level: string, name: string, opts: { buffered: boolean } = { buffered: false }): Logger {
  const dest = pino.destination({ dest: 1, sync: !opts.buffered, minLength: opts.buffered ? 4096 : 0 });
  // A buffered logger still shows up within a second when traffic is light.
  if (opts.buffered) setInterval(() => dest.flush(), 1000).unref();
  const logger = pino(
    {
      level,
      name,
      base: { pid: process.pid },
      redact: { paths: ['authorization', 'password', '*.authorization', '*.password', 'hash', '*.hash'], censor: '[redacted]' },
    },
    dest,
  );
  siblings.set(logger, pino({ level, name, base: { pid: process.pid } }, dest));
  process.on('exit', () => {
    try {
      dest.flushSync();
    } catch {
      // nothing more can be done this late
    }
  });
  return logger;
}
