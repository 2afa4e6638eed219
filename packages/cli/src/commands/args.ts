import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PrunelabError } from '@prunelab/core';

/** node:util parseArgs, with its errors turned into exit-2 user errors naming the flag. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: readonly string[], options: T, allowPositionals = true): ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (e) {
    throw new PrunelabError('E_CONFIG_INVALID', `${command}: ${(e as Error).message}`, { fix: `See prunelab ${command} --help` });
  }
}

export const formatOption = {
  format: { type: 'string', default: 'table' },
} as const;

export function checkFormat(command: string, value: string | undefined, allowed: readonly string[]): string {
  const v = value ?? allowed[0]!;
  if (!allowed.includes(v)) {
    throw new PrunelabError('E_CONFIG_INVALID', `${command}: unknown format`, { path: '--format', value: v, fix: `Use one of: ${allowed.join(', ')}` });
  }
  return v;
}
