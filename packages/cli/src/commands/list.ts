import { closestFirst, PrunelabError } from '@prunelab/core';
import { datasetRegistry, listDatasets } from '@prunelab/datasets';
import { modelRegistry } from '@prunelab/models';
import { scheduleRegistry, structureRegistry } from '@prunelab/pruning';
import { checkFormat } from '@prunelab/results';
import { scorerRegistry } from '@prunelab/scorers';
import { parse } from './args.js';
import { optionsJsonSchema, type EntrySource } from './option-schemas.js';
import { renderTable } from './table.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab list <scorers|datasets|models|schedules|structures> [--format table|json]

--format json gives each entry's options as a JSON Schema (options).`;

type Listing = { rows: Array<Record<string, unknown>>; columns: string[] };

/** Each entry's options as JSON Schema (shown by --format json; the table keeps to names and descriptions). */
const withOptions = (registry: EntrySource, row: Record<string, unknown> & { name: string }): Record<string, unknown> => ({
  ...row,
  options: optionsJsonSchema(registry.get(row.name)),
});

const listings: Record<string, () => Listing> = {
  scorers: () => ({
    columns: ['name', 'family', 'granularities', 'description'],
    rows: scorerRegistry
      .list()
      .map((e) => withOptions(scorerRegistry, { name: e.name, family: e.family, granularities: [...e.granularities], description: e.description })),
  }),
  // `available` says how to get a missing dataset (e.g. no: prunelab data fetch cifar10); --format json adds where the loader looked (`reason`).
  datasets: () => ({
    columns: ['name', 'shape', 'classes', 'available', 'description'],
    rows: listDatasets().map((d) => withOptions(datasetRegistry, { ...d })),
  }),
  models: () => ({
    columns: ['name', 'description'],
    rows: modelRegistry.list().map((e) => withOptions(modelRegistry, { name: e.name, description: e.description, reference: e.reference })),
  }),
  structures: () => ({
    columns: ['name', 'granularity', 'description'],
    rows: structureRegistry
      .list()
      .map((e) => withOptions(structureRegistry, { name: e.name, granularity: e.granularity, description: e.description, reference: e.reference })),
  }),
  schedules: () => ({
    columns: ['name', 'description'],
    rows: scheduleRegistry.list().map((e) => withOptions(scheduleRegistry, { name: e.name, description: e.description, reference: e.reference })),
  }),
};

/** What `prunelab list <kind> --format json` prints: one object per entry, with its `options` JSON Schema. */
export function listRows(kind: string): Array<Record<string, unknown>> | undefined {
  return listings[kind]?.().rows;
}

/** A dataset's availability cell: yes, or no with the command that gets it. */
const availability = (r: Record<string, unknown>): string => (r['available'] ? 'yes' : typeof r['obtain'] === 'string' ? `no: ${r['obtain']}` : 'no');

const show = (v: unknown): string => (Array.isArray(v) ? v.join(v.every((x) => typeof x === 'number') ? 'x' : ',') : v === undefined ? '' : String(v));

export const listCommand: Command = {
  name: 'list',
  summary: 'list the registered scorers, datasets, models, schedules or structures',
  usage,
  async run(argv) {
    const { values, positionals } = parse('list', argv, { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, 1);
    if (values.help) {
      out(usage);
      return 0;
    }
    const kind = positionals[0];
    const listing = kind ? listings[kind] : undefined;
    if (!listing) {
      throw new PrunelabError('E_UNKNOWN_NAME', `list: unknown kind ${JSON.stringify(kind ?? '')}`, {
        fix: `Valid kinds: ${closestFirst(kind ?? '', Object.keys(listings)).join(', ')}`,
      });
    }
    const format = checkFormat(values.format, ['table', 'json']);
    const { rows, columns } = listing();
    if (format === 'json') out(JSON.stringify(rows, null, 2));
    else
      out(
        renderTable(
          columns,
          rows.map((r) => columns.map((c) => (c === 'available' && typeof r[c] === 'boolean' ? availability(r) : show(r[c])))),
        ),
      );
    return 0;
  },
};
