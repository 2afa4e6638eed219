import { PrunelabError } from '@prunelab/core';
import { checkFormat, checkStrategyFields, compare, formatCompare, parseWhere } from '@prunelab/results';
import { parse } from './args.js';
import { openSweep, parseMetric, readOptions, readOptionsHelp, sweepOptionHelp, whereOptionHelp } from './results.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab compare [--sweep NAME] [options]

One row per strategy, one column per target sparsity: mean ± std over seeds,
the seed count and the 95% confidence interval, the best value of each column
marked. Each run contributes its point for the target, at the sparsity it
achieved (unit and block structures round a target to whole units or blocks;
the table shows the achieved sparsity where it differs). An --at sparsity that
a run was not evaluated at (within its row's granularity) is interpolated
along its curve. With one seed there is no spread and no interval; with two,
the interval is marked † (t(0.975, 1) = 12.71 makes it almost meaningless).

Options:
${sweepOptionHelp}
  --metric M           accuracy | robust_accuracy | loss (default accuracy)
  --at S,S,...         sparsities to compare at, as fractions, e.g. 0.5,0.9,0.95 (default: the sweep's targets)
  --by F,F,...         fields naming a strategy: scorer, structure, scope, schedule, model, dataset
                       (default: those that vary within the sweep)
${whereOptionHelp}
  --tolerance P        percentage points of dense accuracy for the "max sparsity within" column (default 1)
  --format FMT         table | markdown | csv | json (default table)
${readOptionsHelp}

Accuracy and sparsity are printed in percent; CSV headers holding percent end
in _pct. --format json is the library's CompareTable, in fractions like the
SQL views (its "units" field says so).`;

/** "0.5,0.9" → [0.5, 0.9], or a user error naming the bad item. */
export function parseNumberList(flag: string, text: string): number[] {
  return text.split(',').map((item) => {
    const v = Number(item.trim());
    if (item.trim() === '' || !Number.isFinite(v))
      throw new PrunelabError('E_CONFIG_INVALID', 'expected comma-separated numbers', { path: flag, value: item, fix: `e.g. ${flag} 0.5,0.9,0.95` });
    return v;
  });
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare the strategies of a sweep: mean ± std, n and 95% CI over seeds at each sparsity',
  usage,
  async run(argv) {
    const { values } = parse(
      'compare',
      argv,
      {
        ...readOptions,
        sweep: { type: 'string' },
        metric: { type: 'string' },
        at: { type: 'string' },
        by: { type: 'string' },
        where: { type: 'string' },
        tolerance: { type: 'string' },
        format: { type: 'string' },
      },
      false,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const metric = parseMetric(values.metric);
    const format = checkFormat(values.format);
    const at = values.at !== undefined ? parseNumberList('--at', values.at) : undefined;
    const by =
      values.by !== undefined
        ? checkStrategyFields(
            values.by
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          )
        : undefined;
    const where = parseWhere(values.where);
    let tolerance = 0.01;
    if (values.tolerance !== undefined) {
      const [t] = parseNumberList('--tolerance', values.tolerance);
      if (t === undefined || t < 0)
        throw new PrunelabError('E_CONFIG_INVALID', 'the tolerance is a non-negative number of percentage points', {
          path: '--tolerance',
          value: values.tolerance,
        });
      tolerance = t / 100;
    }
    return openSweep(values, values.sweep, (db, sweep) => {
      const table = compare(db, sweep, { metric, where, tolerance, ...(at && { at }), ...(by && { by }) });
      if (table.rows.length === 0) {
        throw new PrunelabError(
          'E_CONFIG_INVALID',
          `compare: sweep ${JSON.stringify(sweep)} has no finished runs${where.length > 0 ? ' matching --where' : ''}`,
          {
            path: '--sweep',
            fix: 'See prunelab results runs --sweep NAME for the runs and their status',
          },
        );
      }
      out(formatCompare(table, format));
      return 0;
    });
  },
};
