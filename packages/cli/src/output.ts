/**
 * The CLI owns the terminal: results to stdout, logs and errors to stderr.
 *
 * A reader that goes away early (`prunelab run ... --dry-run | head`) closes
 * the pipe: the next write fails with EPIPE. Unix tools stop writing quietly
 * then, and so do these: a closed stream swallows later output instead of
 * surfacing the error as a stack trace.
 */
const closed = new WeakSet<NodeJS.WriteStream>();

function write(stream: NodeJS.WriteStream, text: string): void {
  if (closed.has(stream) || stream.destroyed) return;
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const out = (text: string): void => write(process.stdout, text);
export const err = (text: string): void => write(process.stderr, text);

/** Installs the EPIPE handling on stdout and stderr; called once at start. */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        closed.add(stream);
        return;
      }
      throw e;
    });
  }
}
