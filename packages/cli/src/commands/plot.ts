import { writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { PrunelabError } from '@prunelab/core';
import { checkStrategyFields, parseWhere, PLOT_AXES, plotData, plotSpec, renderSvg, svgToPng, type PlotAxis } from '@prunelab/results';
import { ensureFolder } from '@prunelab/store';
import { parse } from './args.js';
import { openSweep, parseMetric, readOptions, readOptionsHelp, requireOption, sweepOptionHelp, whereOptionHelp } from './results.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab plot [--sweep NAME] --out FILE.svg|FILE.png [options]

One line per strategy through the mean over seeds, with a ±1 std band where a
point has two runs or more (none for a single run); the y axis says which.
Accuracy and sparsity axes are in percent.

Options:
${sweepOptionHelp}
  --out FILE           .svg or .png (required)
  --x AXIS             sparsity | compression | flops (default sparsity; compression is log scale)
  --metric M           accuracy | robust_accuracy | loss (default accuracy)
  --by F,F,...         fields naming a strategy (default: those that vary)
${whereOptionHelp}
${readOptionsHelp}`;

export const plotCommand: Command = {
  name: 'plot',
  summary: "plot a sweep's curves (mean over seeds, ±1 std band where n >= 2) to SVG or PNG",
  usage,
  async run(argv) {
    const { values } = parse(
      'plot',
      argv,
      {
        ...readOptions,
        sweep: { type: 'string' },
        out: { type: 'string' },
        x: { type: 'string' },
        metric: { type: 'string' },
        by: { type: 'string' },
        where: { type: 'string' },
      },
      false,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const file = requireOption('plot', 'out', values.out, usage);
    const ext = extname(file).toLowerCase();
    if (ext !== '.svg' && ext !== '.png') throw new PrunelabError('E_CONFIG_INVALID', 'plot: --out must end in .svg or .png', { path: '--out', value: file });
    const x = (values.x ?? 'sparsity') as PlotAxis;
    if (!PLOT_AXES.includes(x))
      throw new PrunelabError('E_CONFIG_INVALID', 'plot: unknown x axis', { path: '--x', value: values.x, fix: `Use one of: ${PLOT_AXES.join(', ')}` });
    const metric = parseMetric(values.metric);
    const where = parseWhere(values.where);
    const by =
      values.by !== undefined
        ? checkStrategyFields(
            values.by
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          )
        : undefined;
    const { sweep, data } = openSweep(values, values.sweep, (db, sweep) => ({ sweep, data: plotData(db, sweep, { x, metric, where, ...(by && { by }) }) }));
    if (data.length === 0)
      throw new PrunelabError('E_CONFIG_INVALID', `plot: sweep ${JSON.stringify(sweep)} has no finished runs${where.length > 0 ? ' matching --where' : ''}`, {
        path: '--sweep',
      });
    const svg = await renderSvg(plotSpec(data, { x, metric, title: `${sweep}: ${metric} vs ${x}` }));
    ensureFolder(dirname(file));
    writeFileSync(file, ext === '.png' ? svgToPng(svg) : svg);
    out(`wrote ${file}`);
    return 0;
  },
};
