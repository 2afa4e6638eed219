import { PrunelabError } from '@prunelab/core';
import { compare, formatCompareTable, type Metric } from '@prunelab/results';
import { openDatabase, resultPaths } from '@prunelab/store';
import { checkFormat, parse } from './args.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab compare --sweep NAME [--metric accuracy|loss|robust_accuracy] [--format table|json] [--db FILE]`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare strategies of a sweep: mean ± std over seeds at each sparsity',
  usage,
  async run(argv) {
    const { values } = parse('compare', argv, {
      sweep: { type: 'string' },
      metric: { type: 'string' },
      format: { type: 'string' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) {
      out(usage);
      return 0;
    }
    if (!values.sweep) throw new PrunelabError('E_CONFIG_INVALID', 'compare: --sweep is required', { path: '--sweep', fix: usage });
    const metric = checkFormat('compare --metric', values.metric ?? 'accuracy', ['accuracy', 'loss', 'robust_accuracy']) as Metric;
    const format = checkFormat('compare', values.format, ['table', 'json']);
    const db = openDatabase(values.db ?? resultPaths().database, { readonly: true });
    try {
      const table = compare(db, values.sweep, { metric });
      if (table.rows.length === 0) {
        throw new PrunelabError('E_CONFIG_INVALID', `compare: sweep ${JSON.stringify(values.sweep)} has no finished runs`, { path: '--sweep', fix: 'Run it first, or check the name with sqlite3 ... "select name from sweeps"' });
      }
      out(format === 'json' ? JSON.stringify(table, null, 2) : formatCompareTable(table));
      return 0;
    } finally {
      db.close();
    }
  },
};
