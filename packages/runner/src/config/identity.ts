import { contentHash, isPlainObject, stripDefaults } from '@prunelab/core';
import { scheduleRegistry } from '@prunelab/pruning';
import { NAMED_SLOTS } from './plugins.js';
import { NON_SEMANTIC_KEYS, runConfigSchema, type RunConfig } from './schema.js';

/**
 * Run identity, after open_lth's `desc.py`: a run is named by the hash of its
 * canonical config (sorted keys, defaults left out, execution-only keys such as
 * the backend dropped) plus the dataset's checksum. Adding an option with a
 * default therefore never renames existing runs, and the same run in two sweeps
 * has one id, so its results are reused.
 */
export const ID_VERSION = 1;

/** Everything but the named plug-ins, whose defaults depend on which plug-in a run names. */
const unnamedSchema = runConfigSchema.omit({ dataset: true, model: true, scorer: true, schedule: true });

/** The config the same plug-in names would get from defaults alone. */
function defaultsFor(config: RunConfig): Record<string, unknown> {
  const {
    prune: { sparsities: _sparsities, ...prune },
    ...rest
  } = unnamedSchema.parse({ prune: { sparsities: [0] } });
  const d: Record<string, unknown> = { ...rest, prune };
  for (const { slot, registry } of NAMED_SLOTS) {
    const parsed = registry.get(config[slot].name).schema.safeParse({});
    // A plug-in with required options has no default object: keep all of its options.
    d[slot] = parsed.success && isPlainObject(parsed.data) ? { ...parsed.data } : {};
  }
  return d;
}

/** Canonical form: defaults stripped, execution-only keys removed. */
export function canonicalConfig(config: RunConfig): Record<string, unknown> {
  const semantic: Record<string, unknown> = { ...config };
  for (const k of NON_SEMANTIC_KEYS) delete semantic[k];
  const defaults = defaultsFor(config);
  for (const k of NON_SEMANTIC_KEYS) delete defaults[k];
  const stripped = stripDefaults(semantic, defaults);
  return withIdentityKeys(isPlainObject(stripped) ? stripped : {}, config);
}

/**
 * Puts back the schedule options that its entry keeps in the id even at their
 * default (ScheduleEntry.identityKeys). The config's options are parsed, so
 * their defaults are there to put back.
 */
function withIdentityKeys(canonical: Record<string, unknown>, config: RunConfig): Record<string, unknown> {
  const { name, ...options } = config.schedule;
  const keys = scheduleRegistry.get(name).identityKeys ?? [];
  if (keys.length === 0) return canonical;
  const stripped = canonical['schedule'];
  const schedule: Record<string, unknown> = { name, ...(isPlainObject(stripped) ? stripped : {}) };
  for (const k of keys) if (options[k] !== undefined) schedule[k] = options[k];
  return { ...canonical, schedule };
}

export function runId(config: RunConfig, datasetChecksum: string): string {
  return contentHash({ v: ID_VERSION, config: canonicalConfig(config), data: datasetChecksum });
}

/**
 * The dense model depends only on (dataset, model, training config, seed):
 * every scorer, sparsity and sweep with the same four reuses one trained model.
 * With `train: none` the dense model is the model's own weights, whatever the
 * seed, so every seed shares it (and every strategy compares on it).
 */
export function denseKey(config: RunConfig, datasetChecksum: string): string {
  const c = canonicalConfig(config);
  const seed = config.train === 'none' ? {} : { seed: config.seed };
  return contentHash({ v: ID_VERSION, dense: { dataset: c['dataset'], model: c['model'], train: c['train'] ?? {}, ...seed }, data: datasetChecksum });
}
