import { existsSync } from 'node:fs';
import { canonicalJson, formatBytes, PrunelabError, type ErrorDetails } from '@prunelab/core';
import { initBackend } from '@prunelab/engine';
import { measureThroughput, modelRegistry } from '@prunelab/models';
import { denseModel, denseRewindFile, doneRunIds, openDatabase, resultPaths } from '@prunelab/store';
import { estimateArtifacts, estimateSweep, planSweep, runLabel, type PlanOptions, type PreparedRun } from '@prunelab/runner';
import { out } from '../output.js';

/**
 * `prunelab run --dry-run`: the expanded runs, what is already done, and a time
 * estimate. Writes nothing.
 *
 * The estimate is calibrated on this machine: for each distinct (model, data
 * shape, batch size, optimizer) that the sweep's dense training or fine-tuning
 * uses, a throwaway network trains for about 0.6 s and one test evaluation is
 * timed, on the backend the runs would use (measureThroughput); estimateSweep
 * turns those into time.
 */
export async function dryRun(options: PlanOptions & { jobs: number }): Promise<number> {
  const plan = await planSweep(options);
  const paths = resultPaths(options.results);
  const database = paths.database;
  let done = new Set<string>();
  const cachedDense = new Set<string>();
  if (existsSync(database)) {
    const db = openDatabase(database, { readonly: true });
    try {
      done = doneRunIds(
        db,
        plan.runs.map((r) => r.id),
      );
      // Cached as the runner sees it: the dense model and every rewind snapshot a run needs are on disk.
      for (const r of plan.runs) {
        const known = denseModel(db, r.denseKey);
        if (known && existsSync(known.file) && r.rewindSteps.every((step) => existsSync(denseRewindFile(paths, r.denseKey, step)))) cachedDense.add(r.denseKey);
      }
    } finally {
      db.close();
    }
  }
  for (const r of plan.runs) out(`${r.id}  ${done.has(r.id) ? 'done   ' : 'to run '}  ${runLabel(r)}`);
  const todo = plan.runs.filter((r) => !done.has(r.id));
  out('');
  out(`${plan.runs.length} runs${plan.shard ? ` in shard ${plan.shard.index}/${plan.shard.count}` : ''}, ${done.size} already done, ${todo.length} to run`);
  if (todo.length === 0) return 0;
  const disk = estimateArtifacts(todo);
  const policies = [...new Set(todo.map((r) => r.config.artifacts))].join(', ');
  out(
    disk.files === 0
      ? `artifacts: none kept (artifacts: ${policies})`
      : `artifacts: ~${formatBytes(disk.bytes)} on disk, ${disk.files} stored model(s) (artifacts: ${policies}; the weights of each kept point, kernels as a bitset plus their nonzero values)`,
  );

  const backend = await initBackend(todo[0]!.config.backend);
  const rates = new Map<string, { label: string; examplesPerSecond: number; evaluationMs: number }>();
  const rate = (r: PreparedRun, phase: 'train' | 'finetune'): { examplesPerSecond: number; evaluationMs: number } => {
    // train: none trains nothing; its dense point is one evaluation, timed with the fine-tuning config.
    const cfg = phase === 'train' && r.config.train !== 'none' ? r.config.train : r.config.finetune;
    const key = canonicalJson({
      model: r.config.model,
      shape: r.dataset.shape,
      classes: r.dataset.classes,
      batchSize: cfg.batchSize,
      optimizer: cfg.optimizer,
    });
    let m = rates.get(key);
    if (m === undefined) {
      const { name, ...opts } = r.config.model;
      const arch = modelRegistry.create(name, opts)(r.dataset.shape, r.dataset.classes);
      const t = calibrate(
        () => measureThroughput(arch, r.dataset, { ...cfg, epochs: 1 }),
        plan.sweep.locate(['model'], r.axes),
        `${name} with batch size ${cfg.batchSize}`,
      );
      m = { label: `${name} batch ${cfg.batchSize} ${cfg.optimizer}`, examplesPerSecond: t.examplesPerSecond, evaluationMs: t.evaluationMs };
      rates.set(key, m);
    }
    return m;
  };
  const e = estimateSweep({ runs: todo, jobs: options.jobs, cachedDense, rate });
  const measured = [...rates.values()]
    .map((m) => `${m.label}: ${Math.round(m.examplesPerSecond).toLocaleString('en-US')} examples/s, ${(m.evaluationMs / 1000).toFixed(2)} s per evaluation`)
    .join('; ');
  const cachedHere = new Set(todo.map((r) => r.denseKey).filter((k) => cachedDense.has(k)));
  out(`${e.denseToTrain} dense model(s) to train, ${cachedHere.size} cached`);
  out(`estimated time: ~${duration(e.seconds)} on ${options.jobs} worker(s), scoring not included`);
  out(`  calibrated on ${backend.name}: ${measured}`);
  return 0;
}

/**
 * A model or batch that fits the schema's bounds can still be too large for
 * this machine's backend: the allocation fails with a RangeError (or the wasm
 * heap's own out-of-memory error), which is the sweep's problem, not a crash.
 */
function calibrate<T>(measure: () => T, where: ErrorDetails, what: string): T {
  try {
    return measure();
  } catch (e) {
    const message = String((e as Error).message ?? e);
    if (e instanceof RangeError || /alloc|out of memory|memory access out of bounds/i.test(message)) {
      throw new PrunelabError('E_CONFIG_INVALID', `cannot allocate ${what} on this machine (${message.split('\n')[0]})`, {
        ...where,
        path: 'model',
        fix: 'Use a smaller model or batch size',
      });
    }
    throw e;
  }
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
