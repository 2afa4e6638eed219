import { PrunelabError } from '@prunelab/core';
import { initBackend } from '@prunelab/engine';
import { exportModel } from '@prunelab/models';
import { chooseSweep, parseWhere, resolveWhere, STRATEGY_FIELDS } from '@prunelab/results';
import { pickArtifact, loadPointModel } from '@prunelab/runner';
import { openResultsDatabase, resultPaths, runSummaries, runsByIdPrefix, type Db, type RunRow } from '@prunelab/store';
import { parse } from './args.js';
import { checkOutFolder, exportLines, percent } from './model-report.js';
import { readOptions, readOptionsHelp, requireOption } from './results.js';
import { out } from '../output.js';

const exportModelUsage = `prunelab export model (--run ID | --sweep S --strategy X --seed N) [--at SPARSITY] --out DIR [--physical]

Writes the model of one point of a finished run as a tfjs LayersModel
(DIR/model.json + DIR/weights.bin) that tf.loadLayersModel loads as it is,
from the weights the sweep kept (artifacts: final keeps the last point of each
target, after fine-tuning; artifacts: all every point). A zoo model keeps
prunelab's layer names (dense1, conv1, ...) and outputs logits; your own tfjs
model keeps its layer names, input shape, final softmax and the layers
prunelab carried along (dropout, batch norm, pooling).

Options:
  --run ID             the run (its id from prunelab results runs; a unique prefix will do)
  --sweep NAME         or: the sweep (default: the only one) ...
  --strategy X         ... the strategy as prunelab compare prints it (e.g. magnitude, or
                       'magnitude / unit-l2'), or fields as --where takes them (scorer=magnitude,structure=unit)
  --seed N             ... and the seed (needed when the strategy ran with several)
  --at SPARSITY        the target sparsity, e.g. 0.9 (default: the run's highest target)
  --out DIR            where to write model.json and weights.bin (required)
  --physical           unit and channel structures: write the physically smaller model (removed
                       neurons and filters gone, their constant outputs folded into the next bias).
                       Weight-level structures (unstructured, n:m, block) keep their shape either way:
                       the export is the masked model, its sparsity in model.json's metadata
${readOptionsHelp}

It prints the file size, parameters, nonzeros and multiply-adds per example of the exported model.`;

/** `prunelab export model`: one point's kept weights as a deployable tfjs model. */
export async function exportModelCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse(
    'export model',
    argv,
    {
      ...readOptions,
      run: { type: 'string' },
      sweep: { type: 'string' },
      strategy: { type: 'string' },
      seed: { type: 'string' },
      at: { type: 'string' },
      out: { type: 'string' },
      physical: { type: 'boolean' },
    },
    false,
  );
  if (values.help) {
    out(exportModelUsage);
    return 0;
  }
  const dir = requireOption('export model', 'out', values.out, exportModelUsage);
  checkOutFolder(dir);
  const at = values.at === undefined ? undefined : parseSparsity(values.at);
  if (values.run !== undefined && (values.sweep !== undefined || values.strategy !== undefined || values.seed !== undefined)) {
    throw new PrunelabError('E_CONFIG_INVALID', 'export model: give --run, or --sweep/--strategy/--seed, not both', {
      path: '--run',
      fix: exportModelUsage.split('\n')[0]!,
    });
  }
  const database = values.db ?? resultPaths(values.results).database;
  const db = openResultsDatabase(database);
  let point;
  try {
    const run = values.run !== undefined ? runById(db, values.run) : runByStrategy(db, values.sweep, values.strategy, values.seed);
    const artifact = pickArtifact(db, run, at);
    await initBackend('auto');
    point = loadPointModel(db, database, run, artifact);
  } finally {
    db.close();
  }
  try {
    const { run, artifact, net } = point;
    const physical = values.physical === true && point.unitStructure;
    const report = await exportModel(net, dir, {
      physical,
      ...(point.source && { source: point.source }),
      metadata: {
        run: run.id,
        step: artifact.step,
        phase: artifact.phase,
        targetSparsity: artifact.target_sparsity,
        sparsity: artifact.sparsity,
        accuracy: artifact.accuracy,
        dataset: run.dataset,
        model: run.model,
        scorer: run.scorer,
        structure: run.structure,
        scope: run.scope,
        schedule: run.schedule,
        seed: run.seed,
        physical,
      },
    });
    out(
      `run ${run.id} (${run.scorer} / ${run.structure} / ${run.schedule}, seed ${run.seed}) at target ${artifact.target_sparsity}: step ${artifact.step} (${artifact.phase}), ` +
        `test accuracy ${percent(artifact.accuracy)}, sparsity ${percent(artifact.sparsity)}`,
    );
    if (values.physical === true && !physical)
      out(`  --physical: ${run.structure} is a weight-level structure; the model keeps its shape, with its zeros (sparsity ${percent(artifact.sparsity)})`);
    for (const line of exportLines(dir, report)) out(line);
    return 0;
  } finally {
    point.net.dispose();
  }
}

function parseSparsity(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v >= 0 && v < 1))
    throw new PrunelabError('E_CONFIG_INVALID', 'export model: --at must be a sparsity in [0, 1)', { path: '--at', value: text, fix: 'Example: --at 0.9' });
  return v;
}

function runById(db: Db, id: string): RunRow {
  if (!/^[0-9a-f]{1,64}$/.test(id))
    throw new PrunelabError('E_CONFIG_INVALID', 'export model: --run takes a run id (hex digits)', {
      path: '--run',
      value: id,
      fix: 'prunelab results runs lists them',
    });
  const rows = runsByIdPrefix(db, id, 6);
  if (rows.length === 1) return rows[0]!;
  if (rows.length === 0)
    throw new PrunelabError('E_CONFIG_INVALID', `no run with id ${id}`, { path: '--run', fix: 'prunelab results runs lists the runs of a sweep' });
  throw new PrunelabError('E_CONFIG_INVALID', `${id} names several runs: ${rows.map((r) => r.id).join(', ')}${rows.length > 5 ? ', ...' : ''}`, {
    path: '--run',
    fix: 'Give more of the id',
  });
}

/** The one run of the sweep with this strategy and seed (each may be left out when the sweep has only one). */
function runByStrategy(db: Db, sweepOption: string | undefined, strategy: string | undefined, seedText: string | undefined): RunRow {
  const sweep = chooseSweep(db, sweepOption);
  const byFields = strategy !== undefined && strategy.includes('=');
  let rows = runSummaries(db, sweep, byFields ? resolveWhere(db, sweep, parseWhere(strategy)) : []);
  if (strategy !== undefined && !byFields) {
    const parts = strategy.split('/').map((p) => p.trim());
    rows = rows.filter((r) => parts.every((p) => STRATEGY_FIELDS.some((f) => String(r[f]) === p)));
  }
  if (seedText !== undefined) {
    if (!/^\d+$/.test(seedText))
      throw new PrunelabError('E_CONFIG_INVALID', 'export model: --seed must be a whole number', { path: '--seed', value: seedText });
    rows = rows.filter((r) => r.seed === Number(seedText));
  }
  if (rows.length === 1) return runsByIdPrefix(db, rows[0]!.run_id, 1)[0]!;
  const given = [strategy !== undefined && `--strategy ${strategy}`, seedText !== undefined && `--seed ${seedText}`].filter(Boolean).join(' ');
  if (rows.length === 0) {
    throw new PrunelabError('E_CONFIG_INVALID', `no run of sweep ${sweep} matches${given ? ` ${given}` : ''}`, {
      path: strategy !== undefined ? '--strategy' : '--seed',
      fix: 'prunelab compare --sweep S prints the strategies; prunelab results runs --sweep S the runs and seeds',
    });
  }
  const list = rows.slice(0, 6).map((r) => `${r.run_id} (${STRATEGY_FIELDS.map((f) => r[f]).join(' / ')}, seed ${r.seed})`);
  throw new PrunelabError(
    'E_CONFIG_INVALID',
    `${rows.length} runs of sweep ${sweep} match${given ? ` ${given}` : ''}: ${list.join('; ')}${rows.length > 6 ? '; ...' : ''}`,
    {
      path: strategy === undefined ? '--strategy' : '--seed',
      fix: 'Narrow it with --strategy and --seed, or name one with --run ID',
    },
  );
}
