import { isAbsolute, resolve } from 'node:path';
import { PrunelabError, isPlainObject, isPrunelabError } from '@prunelab/core';
import {
  Net,
  decodeArtifact,
  importLayersModel,
  modelRegistry,
  readModelArtifactsSync,
  setWeights,
  type ArtifactContent,
  type ImportSource,
} from '@prunelab/models';
import { structureRegistry } from '@prunelab/pruning';
import { readArtifactFile, runArtifacts, type ArtifactRow, type Db, type RunRow } from '@prunelab/store';

/** A point of a finished run rebuilt from its artifact: the net with the point's weights, ready to export. */
export interface PointModel {
  readonly net: Net;
  /** For a run of a tfjs model: the model.json it imported, whose layers an export writes back. */
  readonly source?: ImportSource;
  readonly run: RunRow;
  readonly artifact: ArtifactRow;
  /** Whether the run's structure removes whole units, so that `--physical` can extract a smaller model. */
  readonly unitStructure: boolean;
}

/** Target sparsities compare equal when they print the same (0.9 and 0.9000000001). */
const sameTarget = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

/**
 * The artifact of `run` at target `at` (the last one of that target: after
 * fine-tuning), or at its highest target when `at` is undefined. Every way
 * this can be missing is a user error that says which targets do have one.
 */
export function pickArtifact(db: Db, run: RunRow, at: number | undefined): ArtifactRow {
  const rows = runArtifacts(db, run.id);
  if (rows.length === 0) {
    throw new PrunelabError('E_CONFIG_INVALID', `run ${run.id} kept no model (status ${run.status})`, {
      path: '--run',
      fix:
        run.status === 'done'
          ? 'It ran with artifacts: none, or before prunelab kept models: run it again in a sweep with artifacts: final (the default) and a fresh --results folder'
          : 'Finish it first (prunelab run resumes it): a run keeps its models as it goes, and only a done run is exported',
    });
  }
  if (run.status !== 'done') {
    throw new PrunelabError('E_CONFIG_INVALID', `run ${run.id} is ${run.status}, not done`, { path: '--run', fix: 'Finish it first: prunelab run resumes it' });
  }
  const targets = [...new Set(rows.map((r) => r.target_sparsity))].sort((a, b) => a - b);
  const wanted = at ?? targets.at(-1)!;
  const matching = rows.filter((r) => sameTarget(r.target_sparsity, wanted));
  if (matching.length === 0) {
    throw new PrunelabError('E_CONFIG_INVALID', `run ${run.id} kept no model at target ${wanted}`, {
      path: '--at',
      value: wanted,
      fix: `Its kept models are at ${targets.map(String).join(', ')}`,
    });
  }
  return matching.reduce((a, b) => (b.step > a.step ? b : a));
}

/**
 * Rebuilds the net of an artifact: the run's model (its config, for the
 * artifact's input shape and classes) with the point's weights. A tfjs model
 * is imported again from the model.json the run names, for its layers and
 * carried-along constants; its prunable weights are the artifact's.
 */
export function loadPointModel(db: Db, database: string, run: RunRow, artifact: ArtifactRow): PointModel {
  const config = JSON.parse(run.config_json) as unknown;
  if (!isPlainObject(config) || !isPlainObject(config['model']) || typeof config['model']['name'] !== 'string') {
    throw new PrunelabError('E_DATABASE_INVALID', `run ${run.id} has no model in its stored config`, { fix: 'This database was not written by prunelab run' });
  }
  const what = `run ${run.id} at step ${artifact.step} (target ${artifact.target_sparsity})`;
  const content = decodeArtifact(readArtifactFile(database, artifact, what), what);
  const { name, ...options } = config['model'] as { name: string } & Record<string, unknown>;
  const source = name === 'tfjs' ? importSource(options['path'], content) : undefined;
  const arch = source ? source.imported.arch : modelRegistry.get(name).create(options)(content.inputShape, content.classes);
  const seed = typeof config['seed'] === 'number' ? config['seed'] : 0;
  const net = new Net(arch, seed);
  try {
    setWeights(net, content.weights);
  } catch (e) {
    net.dispose();
    throw new PrunelabError('E_DATABASE_INVALID', `the stored model of ${what} does not fit the run's model (${(e as Error).message})`, {
      fix: source
        ? `Its model file ${String(options['path'])} changed since the run: restore the version the sweep ran with`
        : 'This database was written by another prunelab version',
    });
  }
  const structure = isPlainObject(config['prune']) && isPlainObject(config['prune']['structure']) ? config['prune']['structure']['kind'] : undefined;
  const unitStructure = typeof structure === 'string' && structureRegistry.has(structure) && structureRegistry.get(structure).granularity === 'unit';
  return { net, ...(source && { source }), run, artifact, unitStructure };
}

/** The model.json a tfjs run imported, read again (a relative path in an older run's config is read from the working directory, as it ran). */
function importSource(path: unknown, content: ArtifactContent): ImportSource {
  if (typeof path !== 'string')
    throw new PrunelabError('E_DATABASE_INVALID', 'a tfjs run without model.path in its stored config', {
      fix: 'This database was not written by prunelab run',
    });
  const file = resolve(isAbsolute(path) ? path : resolve(path));
  const json = file.endsWith('.json') ? file : `${file.replace(/\/$/, '')}/model.json`;
  try {
    const artifacts = readModelArtifactsSync(json);
    return { artifacts, imported: importLayersModel(artifacts, json, { inputShape: content.inputShape, classes: content.classes }) };
  } catch (e) {
    if (!isPrunelabError(e)) throw e;
    throw new PrunelabError(e.code, `${e.problem} (the export writes the run's own model.json back with the pruned weights)`, {
      fix: `Restore ${json} as the sweep ran it: ${e.details.fix ?? ''}`,
    });
  }
}
