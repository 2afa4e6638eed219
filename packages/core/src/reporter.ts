/**
 * The one channel for progress and log output from library code. Libraries
 * never write to the console; the CLI installs a reporter that prints to
 * stderr (or a progress display), tests install a silent or recording one.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ReporterEvent {
  level: LogLevel;
  message: string;
  /** Structured fields, e.g. `{ run: 'ab12', phase: 'finetune' }`. */
  fields?: Record<string, unknown>;
}

export interface Reporter {
  log(event: ReporterEvent): void;
}

export const silentReporter: Reporter = { log: () => undefined };

/** Writes one line per event to a stream (stderr by default), dropping debug unless asked. */
export function streamReporter(write: (line: string) => void = (line) => process.stderr.write(line), minLevel: LogLevel = 'info'): Reporter {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(e) {
      if (order[e.level] < order[minLevel]) return;
      const prefix = e.level === 'info' ? '' : `${e.level}: `;
      write(`${prefix}${e.message}\n`);
    },
  };
}

/** Keeps events in memory; for tests. */
export function recordingReporter(): Reporter & { events: ReporterEvent[] } {
  const events: ReporterEvent[] = [];
  return { events, log: (e) => void events.push(e) };
}

let current: Reporter = silentReporter;

export function setReporter(r: Reporter): void {
  current = r;
}

export function getReporter(): Reporter {
  return current;
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => current.log({ level: 'debug', message, ...(fields && { fields }) }),
  info: (message: string, fields?: Record<string, unknown>) => current.log({ level: 'info', message, ...(fields && { fields }) }),
  warn: (message: string, fields?: Record<string, unknown>) => current.log({ level: 'warn', message, ...(fields && { fields }) }),
  error: (message: string, fields?: Record<string, unknown>) => current.log({ level: 'error', message, ...(fields && { fields }) }),
};
