import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrunelabError } from '@prunelab/core';
import { buildReport, parseWhere } from '@prunelab/results';
import { ensureFolder, reportFile, resultPaths } from '@prunelab/store';
import { parse } from './args.js';
import { openSweepAsync, readOptions, readOptionsHelp, sweepOptionHelp, whereOptionHelp } from './results.js';
import { parseNumberList } from './compare.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab report [--sweep NAME] [--out FILE.html] [options]

One self-contained HTML page (no scripts, no network): compare tables, plots,
per-layer sparsity heatmaps, the sweep's YAML, the environment and the failed runs.
Accuracy and sparsity are in percent.

Options:
${sweepOptionHelp}
  --out FILE           the page (default <results>/NAME.html)
${whereOptionHelp}
  --tolerance P        percentage points for the "max sparsity within" column (default 1)
${readOptionsHelp}`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'write a self-contained HTML report of a sweep',
  usage,
  async run(argv) {
    const { values } = parse('report', argv, {
      ...readOptions,
      sweep: { type: 'string' },
      out: { type: 'string' },
      where: { type: 'string' },
      tolerance: { type: 'string' },
    });
    if (values.help) {
      out(usage);
      return 0;
    }
    const where = parseWhere(values.where);
    let tolerance: number | undefined;
    if (values.tolerance !== undefined) {
      const [t] = parseNumberList('--tolerance', values.tolerance);
      if (t === undefined || t < 0)
        throw new PrunelabError('E_CONFIG_INVALID', 'the tolerance is a non-negative number of percentage points', {
          path: '--tolerance',
          value: values.tolerance,
        });
      tolerance = t / 100;
    }
    const { sweep, html } = await openSweepAsync(values, values.sweep, async (db, sweep) => ({
      sweep,
      html: await buildReport(db, sweep, { where, ...(tolerance !== undefined && { tolerance }) }),
    }));
    // The default page stays inside the results folder whatever the sweep is called (a merged shard could name it ../x).
    const file = values.out ?? reportFile(resultPaths(values.results), sweep);
    ensureFolder(dirname(file));
    writeFileSync(file, html);
    out(`wrote ${file}`);
    return 0;
  },
};
