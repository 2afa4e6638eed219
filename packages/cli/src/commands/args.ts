import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PrunelabError } from '@prunelab/core';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, with its errors turned into exit-2 user errors naming
 * the flag. `allowed` is how many plain arguments the command takes
 * (Infinity or true for a list, such as merge's databases; false for none):
 * one more is an error, not silently ignored.
 */
export function parse<T extends Options>(
  command: string,
  argv: readonly string[],
  options: T,
  allowed: number | boolean = 0,
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>> {
  const positionals = allowed === true ? Infinity : allowed === false ? 0 : allowed;
  let parsed: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    throw argError(command, e as Error & { code?: string }, options);
  }
  if (parsed.positionals.length > positionals) {
    const extra = parsed.positionals[positionals]!;
    throw new PrunelabError('E_CONFIG_INVALID', `${command}: unexpected argument ${JSON.stringify(extra)}`, {
      fix: `prunelab ${command} takes ${positionals === 0 ? 'no plain arguments' : positionals === 1 ? 'one plain argument' : `${positionals} plain arguments`}; see prunelab ${command} --help`,
    });
  }
  return parsed;
}

/**
 * `--shard -1/3` and `--tolerance -5`: parseArgs refuses a value that starts
 * with a dash as ambiguous. A negative number after an option that takes a
 * value can only be that value, so it is joined (`--tolerance=-5`) and the
 * command's own check then says what is wrong with it.
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const takesValue = (flag: string): boolean => {
    const long = /^--([^=]+)$/.exec(flag)?.[1];
    if (long !== undefined) return options[long]?.type === 'string';
    const short = /^-([^-])$/.exec(flag)?.[1];
    return short !== undefined && Object.values(options).some((o) => o.short === short && o.type === 'string');
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (next !== undefined && /^-\.?\d/.test(next) && takesValue(a)) {
      out.push(`${a.startsWith('--') ? a : `--${Object.entries(options).find(([, o]) => o.short === a.slice(1))![0]}`}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function argError(command: string, e: Error & { code?: string }, options: Options): PrunelabError {
  const first = e.message.split('\n')[0]!;
  const quoted = /'(-[^']*)'/.exec(first)?.[1] ?? '';
  // Node names the option as '--results' or '-j, --jobs <value>': show it as --name.
  const long = /--([\w-]+)/.exec(quoted)?.[1];
  const short = /^-(\w)\b/.exec(quoted)?.[1];
  const name = long ?? Object.entries(options).find(([, o]) => o.short === short)?.[0];
  const flag = name !== undefined ? `--${name}` : quoted || 'an option';
  const help = `see prunelab ${command} --help`;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const names = Object.entries(options).map(([n, o]) => `--${n}${o.type === 'string' ? ' VALUE' : ''}`);
      return new PrunelabError('E_CONFIG_INVALID', `${command}: unknown option ${quoted || first}`, { fix: `Options: ${names.join(', ')} (${help})` });
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (name !== undefined && options[name]?.type === 'boolean') {
        return new PrunelabError('E_CONFIG_INVALID', `${command}: ${flag} takes no value`, { fix: `Write ${flag} alone (${help})` });
      }
      return new PrunelabError('E_CONFIG_INVALID', `${command}: ${flag} needs a value`, {
        fix: `Give the value after it, e.g. ${flag} VALUE; a value that starts with a dash is written ${flag}=-VALUE (${help})`,
      });
    default:
      return new PrunelabError('E_CONFIG_INVALID', `${command}: ${first}`, { fix: `See prunelab ${command} --help` });
  }
}
