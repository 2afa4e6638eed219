import { contentHash, stripDefaults } from '@prunelab/core';
import { datasetRegistry } from '@prunelab/datasets';
import { modelRegistry } from '@prunelab/models';
import { scheduleRegistry } from '@prunelab/pruning';
import { scorerRegistry } from '@prunelab/scorers';
import { NON_SEMANTIC_KEYS, runConfigSchema, type RunConfig } from './schema.js';

/**
 * Run identity, after open_lth's `desc.py`: a run is named by the hash of its
 * canonical config (sorted keys, defaults left out, execution-only keys such as
 * the backend dropped) plus the dataset's checksum. Adding an option with a
 * default therefore never renames existing runs, and the same run in two sweeps
 * has one id, so its results are reused.
 */
export const ID_VERSION = 1;

const registries = {
  dataset: datasetRegistry,
  model: modelRegistry,
  scorer: scorerRegistry,
  schedule: scheduleRegistry,
} as const;

/** The config the same plug-in names would get from defaults alone. */
function defaultsFor(config: RunConfig): Record<string, unknown> {
  const d = runConfigSchema.parse({
    dataset: config.dataset.name,
    model: config.model.name,
    scorer: config.scorer.name,
    schedule: config.schedule.name,
    prune: { sparsities: [0] },
  }) as Record<string, unknown>;
  delete (d['prune'] as Record<string, unknown>)['sparsities'];
  for (const [slot, registry] of Object.entries(registries)) {
    const name = (config[slot as keyof typeof registries] as { name: string }).name;
    const parsed = registry.has(name) ? registry.get(name).schema.safeParse({}) : undefined;
    // A plug-in with required options has no default object: keep all of its options.
    d[slot] = parsed?.success ? { ...(parsed.data as Record<string, unknown>) } : {};
  }
  return d;
}

/** Canonical form: defaults stripped, execution-only keys removed. */
export function canonicalConfig(config: RunConfig): Record<string, unknown> {
  const semantic: Record<string, unknown> = { ...config };
  for (const k of NON_SEMANTIC_KEYS) delete semantic[k];
  const defaults = defaultsFor(config);
  for (const k of NON_SEMANTIC_KEYS) delete defaults[k];
  return withIdentityKeys((stripDefaults(semantic, defaults) ?? {}) as Record<string, unknown>, config);
}

/** Puts back the schedule options that its entry keeps in the id even at their default (ScheduleEntry.identityKeys). */
function withIdentityKeys(canonical: Record<string, unknown>, config: RunConfig): Record<string, unknown> {
  const { name, ...opts } = config.schedule;
  const keys = scheduleRegistry.has(name) ? (scheduleRegistry.get(name).identityKeys ?? []) : [];
  if (keys.length === 0) return canonical;
  const parsed = scheduleRegistry.get(name).schema.safeParse(opts);
  if (!parsed.success) return canonical;
  const values = parsed.data as Record<string, unknown>;
  const schedule: Record<string, unknown> = { name, ...(canonical['schedule'] as Record<string, unknown> | undefined) };
  for (const k of keys) if (values[k] !== undefined) schedule[k] = values[k];
  return { ...canonical, schedule };
}

export function runId(config: RunConfig, datasetChecksum: string): string {
  return contentHash({ v: ID_VERSION, config: canonicalConfig(config), data: datasetChecksum });
}

/**
 * The dense model depends only on (dataset, model, training config, seed):
 * every scorer, sparsity and sweep with the same four reuses one trained model.
 */
export function denseKey(config: RunConfig, datasetChecksum: string): string {
  const c = canonicalConfig(config);
  return contentHash({ v: ID_VERSION, dense: { dataset: c['dataset'], model: c['model'], train: c['train'] ?? {}, seed: config.seed }, data: datasetChecksum });
}
