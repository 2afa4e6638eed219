import { PrunelabError } from '@prunelab/core';

/**
 * One word for a POSIX shell: left bare when it holds only characters no shell
 * treats specially, else single-quoted (a quote inside becomes '\''), so a
 * file name such as q'$(touch PWNED)'.yaml is printed, never run.
 */
export function shellWord(word: string): string {
  return /^[\w./=:@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Values that no quoting makes safe in a generated script: a newline ends an
 * #SBATCH directive and starts a command line, and a NUL cannot be passed at
 * all. Refused with the option that carried them.
 */
export function checkScriptValue(option: string, value: string): string {
  if (/[\n\r\0]/.test(value)) {
    throw new PrunelabError('E_CONFIG_INVALID', `${option} contains a line break or NUL, which no quoting can make safe in a batch script`, {
      path: option,
      value,
      fix: 'Remove the line break',
    });
  }
  return value;
}
