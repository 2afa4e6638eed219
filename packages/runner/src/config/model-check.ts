import { dirname } from 'node:path';
import { PrunelabError, isPrunelabError, withPosition } from '@prunelab/core';
import { architectureSize, modelRegistry, type Architecture, type ArchitectureSize } from '@prunelab/models';
import { scheduleRegistry } from '@prunelab/pruning';
import type { LoadedSweep, PlannedRun } from './load.js';
import { formatPath, splitPath } from './paths.js';

/**
 * A model larger than this is a typo (a hidden layer of 1e6 units), not an
 * experiment: 2^28 float32 parameters are 1 GiB per copy, and training keeps
 * several (weights, gradients, Adam's two moments, masks), past what the wasm
 * backend's 4 GiB can hold.
 */
const MAX_PARAMS = 2 ** 28;

/**
 * Builds a run's architecture for its dataset at load time, and checks what
 * needs the model to check, so that it fails before anything is written
 * instead of in a worker: the model file itself (a tfjs import), its size, and
 * the layer names that prune.scope.perLayer, prune.exclude and the schedule's
 * options (ScheduleEntry.layers) refer to. Errors carry the sweep file's position.
 */
export function checkedArchitecture(
  sweep: LoadedSweep,
  run: PlannedRun,
  inputShape: readonly number[],
  classes: number,
): { arch: Architecture; size: ArchitectureSize } {
  const { name, ...options } = run.config.model;
  let arch: Architecture;
  try {
    // The options were parsed with the config; the factory only builds.
    arch = modelRegistry.get(name).create(options)(inputShape, classes);
  } catch (e) {
    if (isPrunelabError(e) && e.isUserError) throw withPosition(withPathHint(e, sweep.file), sweep.locate(splitPath(e.details.path ?? 'model'), run.axes));
    throw e;
  }
  const size = architectureSize(arch);
  if (size.params > MAX_PARAMS) {
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `the model has ${size.params.toLocaleString('en-US')} parameters, more than the ${MAX_PARAMS.toLocaleString('en-US')} prunelab can train`,
      {
        ...sweep.locate(['model'], run.axes),
        path: 'model',
        fix: 'Use smaller layers',
      },
    );
  }
  checkLayerNames(sweep, run, prunableLayerNames(arch));
  checkNoTraining(sweep, run, arch);
  return { arch, size };
}

/** A model file that is not found: say where a relative model.path is read from (the sweep file's folder, not the working directory). */
function withPathHint(e: PrunelabError, sweepFile: string): PrunelabError {
  if (e.code !== 'E_MODEL_INVALID' || !/ not found$/.test(e.problem)) return e;
  return new PrunelabError(
    e.code,
    e.problem,
    { ...e.details, fix: `${e.details.fix ?? ''} (a relative model.path is read from the sweep file's folder, ${dirname(sweepFile)})` },
    { cause: e },
  );
}

/**
 * `train: none` makes the model's own weights the dense model: the model must
 * have weights of its own (a tfjs import), not a random initialisation, and
 * no schedule may rewind to a step of a dense training that never happens.
 */
function checkNoTraining(sweep: LoadedSweep, run: PlannedRun, arch: Architecture): void {
  if (run.config.train !== 'none') return;
  const at = { ...sweep.locate(['train'], run.axes), path: 'train' };
  if (!arch.initialWeights) {
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `train: none keeps the model's own weights, but model ${JSON.stringify(run.config.model.name)} has none (it starts from a random initialisation)`,
      {
        ...at,
        fix: 'Use model: { name: tfjs, path: your/model.json } with a trained model, or give train: { epochs: N }',
      },
    );
  }
  const { name, ...options } = run.config.schedule;
  const late = scheduleRegistry
    .get(name)
    .snapshots(options)
    .filter((step) => step > 0);
  if (late.length > 0) {
    throw new PrunelabError('E_CONFIG_INVALID', `schedule ${name} rewinds to dense-training step ${late.join(', ')}, but train: none trains no step`, {
      ...at,
      fix: 'Rewind to the initial weights (rewind: init, the imported ones) or to none, or train the dense model',
    });
  }
}

/** The names Net gives the prunable layers, in order: dense1, dense2, ... and conv1, conv2, ... */
function prunableLayerNames(arch: Architecture): string[] {
  const counts = { dense: 0, conv2d: 0 };
  const names: string[] = [];
  for (const spec of arch.layers) {
    if (spec.kind === 'dense') names.push(`dense${++counts.dense}`);
    else if (spec.kind === 'conv2d') names.push(`conv${++counts.conv2d}`);
  }
  return names;
}

function checkLayerNames(sweep: LoadedSweep, run: PlannedRun, names: readonly string[]): void {
  const known = new Set(names);
  const unknown = (path: PropertyKey[], layer: string): PrunelabError =>
    new PrunelabError('E_CONFIG_INVALID', `the model has no prunable layer ${JSON.stringify(layer)}`, {
      ...sweep.locate(path, run.axes),
      path: formatPath(path),
      fix: `This model's prunable layers are ${names.join(', ')}`,
    });
  const scope = run.config.prune.scope;
  if (typeof scope === 'object') {
    for (const layer of Object.keys(scope.perLayer)) if (!known.has(layer)) throw unknown(['prune', 'scope', 'perLayer', layer], layer);
  }
  run.config.prune.exclude.forEach((layer, i) => {
    if (!known.has(layer)) throw unknown(['prune', 'exclude', i], layer);
  });
  const { name, ...options } = run.config.schedule;
  for (const { key, layer } of scheduleRegistry.get(name).layers?.(options) ?? []) {
    if (!known.has(layer)) throw unknown(['schedule', ...key], layer);
  }
}
