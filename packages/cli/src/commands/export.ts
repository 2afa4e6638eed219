import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrunelabError } from '@prunelab/core';
import { checkFormat, compare, formatCompare, formatListing, parseWhere, pointsListing, runsListing } from '@prunelab/results';
import { ensureFolder } from '@prunelab/store';
import { parse } from './args.js';
import { openSweep, parseMetric, readOptions, readOptionsHelp, requireOption } from './results.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab export --sweep NAME [--what points|runs|compare] [--format csv|json] [--out FILE] [options]

Writes a sweep's data for other tools: the curve points of finished runs, the
run summaries, or the comparison table, as CSV or JSON (to stdout without --out).

Options:
  --sweep NAME         the sweep (required)
  --what KIND          points | runs | compare (default points)
  --format FMT         csv | json (default csv)
  --metric M           for --what compare: accuracy | robust_accuracy | loss
  --where F=V,...      only runs matching every field
  --out FILE           write here instead of stdout
${readOptionsHelp}`;

const KINDS = ['points', 'runs', 'compare'] as const;

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a sweep\'s points, runs or comparison as CSV or JSON',
  usage,
  async run(argv) {
    const { values } = parse('export', argv, {
      ...readOptions,
      sweep: { type: 'string' },
      what: { type: 'string' },
      format: { type: 'string' },
      metric: { type: 'string' },
      where: { type: 'string' },
      out: { type: 'string' },
    }, false);
    if (values.help) {
      out(usage);
      return 0;
    }
    const sweep = requireOption('export', 'sweep', values.sweep, usage);
    const what = values.what ?? 'points';
    if (!(KINDS as readonly string[]).includes(what)) throw new PrunelabError('E_CONFIG_INVALID', 'export: unknown --what', { path: '--what', value: what, fix: `Use one of: ${KINDS.join(', ')}` });
    const format = checkFormat(values.format, ['csv', 'json']);
    const metric = parseMetric(values.metric);
    const where = parseWhere(values.where);
    const text = openSweep(values, sweep, (db) => {
      if (what === 'compare') return formatCompare(compare(db, sweep, { metric, where }), format);
      return formatListing(what === 'runs' ? runsListing(db, sweep, where) : pointsListing(db, sweep, where), format);
    });
    if (values.out) {
      ensureFolder(dirname(values.out));
      writeFileSync(values.out, text.endsWith('\n') ? text : `${text}\n`);
      out(`wrote ${values.out}`);
    } else {
      out(text);
    }
    return 0;
  },
};
