import { closestFirst, isPrunelabError, setReporter, streamReporter, USER_ERROR_EXIT } from '@prunelab/core';
import { commands, helpText } from './commands/index.js';
import { endQuietlyOnClosedPipe, err, out } from './output.js';

/** Runs one CLI invocation and returns its exit status (0 ok, 1 failures, 2 bad input). */
export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  setReporter(streamReporter((line) => process.stderr.write(line), process.env['PRUNELAB_DEBUG'] ? 'debug' : 'info'));
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(helpText());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    out('0.1.0');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    err(
      `error[E_UNKNOWN_NAME]: unknown command ${JSON.stringify(name)}. Valid commands: ${closestFirst(
        name,
        commands.map((c) => c.name),
      ).join(', ')}`,
    );
    return USER_ERROR_EXIT;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isPrunelabError(e) && e.isUserError) {
      err(`error[${e.code}]: ${e.message}`);
      return USER_ERROR_EXIT;
    }
    if (isPrunelabError(e)) {
      err(`error[${e.code}]: ${e.message}`);
      return 1;
    }
    err(`internal error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}
