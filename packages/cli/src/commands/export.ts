import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrunelabError } from '@prunelab/core';
import { checkFormat, compare, formatCompare, formatListing, parseWhere, pointsListing, runsListing } from '@prunelab/results';
import { ensureFolder } from '@prunelab/store';
import { parse } from './args.js';
import { exportModelCommand } from './export-model.js';
import { openSweep, parseMetric, readOptions, readOptionsHelp, requireOption } from './results.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab export [points|runs|compare] --sweep NAME [--format csv|json] [--out FILE] [options]
prunelab export model (--run ID | --sweep S --strategy X --seed N) [--at SPARSITY] --out DIR [--physical]

Writes a sweep's data for other tools: the curve points of finished runs, the
run summaries, or the comparison table, as CSV or JSON (to stdout without --out).
\`export model\` writes the pruned model of one point as a tfjs LayersModel
(prunelab export model --help says how).

Options:
  --sweep NAME         the sweep (required)
  --what KIND          points | runs | compare (default points; also written as the first argument)
  --format FMT         csv | json (default csv)
  --metric M           for --what compare: accuracy | robust_accuracy | loss
  --where F=V,...      only runs matching every field
  --out FILE           write here instead of stdout
${readOptionsHelp}`;

const KINDS = ['points', 'runs', 'compare'] as const;
const TARGETS = [...KINDS, 'model'] as const;

export const exportCommand: Command = {
  name: 'export',
  summary: "export a sweep's points, runs or comparison (CSV, JSON), or a pruned model (export model)",
  usage,
  async run(argv) {
    // `export model` has its own options; `export points|runs|compare` is --what written first.
    const first = argv[0];
    if (first !== undefined && !first.startsWith('-')) {
      if (!(TARGETS as readonly string[]).includes(first)) {
        throw new PrunelabError('E_UNKNOWN_NAME', `export: unknown target ${JSON.stringify(first)}`, { fix: `Valid targets: ${TARGETS.join(', ')}` });
      }
      if (first === 'model') return exportModelCommand(argv.slice(1));
      return exportCommand.run(['--what', first, ...argv.slice(1)]);
    }
    const { values } = parse(
      'export',
      argv,
      {
        ...readOptions,
        sweep: { type: 'string' },
        what: { type: 'string' },
        format: { type: 'string' },
        metric: { type: 'string' },
        where: { type: 'string' },
        out: { type: 'string' },
      },
      false,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const sweep = requireOption('export', 'sweep', values.sweep, usage);
    const what = values.what ?? 'points';
    if (!(KINDS as readonly string[]).includes(what))
      throw new PrunelabError('E_CONFIG_INVALID', 'export: unknown --what', {
        path: '--what',
        value: what,
        fix: `Use one of: ${KINDS.join(', ')} (prunelab export model writes a pruned model)`,
      });
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
