import { PrunelabError } from '@prunelab/core';
import { checkFormat, chooseSweep, formatListing, METRICS, parseWhere, runsListing, sweepsListing, type Format, type Metric } from '@prunelab/results';
import { openResultsDatabase, resultPaths, type Db, type Filter } from '@prunelab/store';
import { parse } from './args.js';
import { out } from '../output.js';
import type { Command } from './types.js';

/** Options shared by the commands that read results (results, compare, plot, report, export). */
export const readOptions = {
  db: { type: 'string' },
  results: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const readOptionsHelp = `  --db FILE            results database (default: <results>/prunelab.sqlite)
  --results DIR        results folder (default ./results, or $PRUNELAB_RESULTS)
  -h, --help           show this help`;

/** Opens the database named by --db / --results readonly, runs `f`, and always closes it. */
function withDatabase<T>(values: { db?: string | undefined; results?: string | undefined }, f: (db: Db) => T): T {
  const db = openResultsDatabase(values.db ?? resultPaths(values.results).database);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

/** openSweep for async work: the database stays open until the promise settles. */
export async function openSweepAsync<T>(
  values: { db?: string | undefined; results?: string | undefined },
  sweep: string | undefined,
  f: (db: Db, sweep: string) => Promise<T>,
): Promise<T> {
  const db = openResultsDatabase(values.db ?? resultPaths(values.results).database);
  try {
    return await f(db, chooseSweep(db, sweep));
  } finally {
    db.close();
  }
}

export function requireOption(command: string, name: string, value: string | undefined, usage: string): string {
  if (value === undefined || value === '')
    throw new PrunelabError('E_CONFIG_INVALID', `${command}: --${name} is required`, { path: `--${name}`, fix: usage.split('\n')[0] });
  return value;
}

export function parseMetric(value: string | undefined): Metric {
  const v = value ?? 'accuracy';
  if (!(METRICS as readonly string[]).includes(v))
    throw new PrunelabError('E_CONFIG_INVALID', 'unknown metric', { path: '--metric', value: v, fix: `Use one of: ${METRICS.join(', ')}` });
  return v as Metric;
}

/**
 * Opens the database, picks the sweep (`sweep`, or the only one when it is
 * undefined; see chooseSweep), runs `f` and always closes the database.
 */
export function openSweep<T>(values: { db?: string | undefined; results?: string | undefined }, sweep: string | undefined, f: (db: Db, sweep: string) => T): T {
  return withDatabase(values, (db) => f(db, chooseSweep(db, sweep)));
}

/** What --sweep does when it is left out, for the usage texts. */
export const sweepOptionHelp = '  --sweep NAME         the sweep (default: the only sweep in the database; with several, name one)';

/**
 * The --where help shared by the commands that read results: the grammar,
 * quoting, and kinds (see parseWhere and resolveWhere).
 */
export const whereOptionHelp = `  --where F=V,...      only runs matching every field; repeat a field for any of its values.
                       Fields: dataset, model, scorer, structure, scope, schedule, seed, status, backend, run_id.
                       A label as prunelab prints it is taken verbatim, brackets and commas included:
                         --where 'schedule=iterative(rate=0.9, rewind=init),seed=0'
                       Quote a value with " or ' if it starts with a quote or holds an unclosed bracket
                       (a quote inside is written twice). A bare kind selects every label of that kind:
                       structure=unit (unit-l2, unit-l1-layernorm), structure=block, structure=n:m,
                       schedule=iterative, scorer=taylor, model=mlp.`;

const usage = `prunelab results <list|runs> [options]

  results list                      the sweeps, with run counts by status
  results runs [--sweep NAME]       each run's axes, status, backend, times and final accuracy (%)

Options:
${sweepOptionHelp}
${whereOptionHelp}
  --format FMT         table | markdown | csv | json (default table)
${readOptionsHelp}

Accuracies are printed in percent (columns ending in _pct); the SQL views hold fractions.`;

export const resultsCommand: Command = {
  name: 'results',
  summary: "list sweeps (results list) or a sweep's runs (results runs --sweep S)",
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      'results',
      argv,
      { ...readOptions, sweep: { type: 'string' }, where: { type: 'string' }, format: { type: 'string' } },
      1,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const sub = positionals[0];
    const format: Format = checkFormat(values.format);
    if (sub === 'list') {
      if (values.sweep || values.where)
        throw new PrunelabError('E_CONFIG_INVALID', 'results list takes no --sweep or --where', { fix: 'Use results runs --sweep NAME [--where ...]' });
      out(withDatabase(values, (db) => formatListing(sweepsListing(db), format)));
      return 0;
    }
    if (sub === 'runs') {
      const where: Filter = parseWhere(values.where);
      out(openSweep(values, values.sweep, (db, sweep) => formatListing(runsListing(db, sweep, where), format)));
      return 0;
    }
    throw new PrunelabError('E_UNKNOWN_NAME', `results: unknown subcommand ${JSON.stringify(sub ?? '')}`, { fix: 'Valid subcommands: list, runs' });
  },
};
