import type { RegistryEntry } from '@prunelab/core';
import { datasetRegistry } from '@prunelab/datasets';
import { modelRegistry } from '@prunelab/models';
import type { Structure } from '@prunelab/projection';
import { scheduleRegistry, structureRegistry } from '@prunelab/pruning';
import { scorerRegistry } from '@prunelab/scorers';
import { pluginLabel, structureLabel } from './labels.js';

/** What the config reads of a registry, whatever its entries are. */
export interface PluginRegistry {
  readonly kind: string;
  has(name: string): boolean;
  get(name: string): RegistryEntry;
  names(): string[];
  list(): readonly RegistryEntry[];
}

/** A plug-in as a run's config holds it: the entry's name and its options, already parsed by the entry's schema. */
export type PluginRef = { name: string } & Record<string, unknown>;

/**
 * A slot of a run's config that a registry fills: where it sits, which key
 * names the entry, the registry, and how its column of the runs table is
 * written. Method syntax on purpose: each slot narrows `value` to its own type.
 */
export interface PluginSlot<Value = never> {
  /** Where the slot sits in a run's config, e.g. ['model'] or ['prune', 'structure']. */
  readonly path: readonly [string] | readonly [string, string];
  /** The key that names the entry: `name`, or `kind` for a structure. */
  readonly key: 'name' | 'kind';
  readonly registry: PluginRegistry;
  /** The slot's label in the runs table, from its value in the run's config and in the canonical config (its options that differ from their defaults). */
  label(value: Value, canonical: unknown): string;
  /** A string the slot accepts besides entry names: a JSON Schema pattern for editors, and how an error message names it. */
  readonly shorthand?: { readonly pattern: string; readonly description: string; readonly example: string };
}

/** The run config keys that hold a plug-in named by `name`. */
type NamedKey = 'dataset' | 'model' | 'scorer' | 'schedule';

/** A top-level slot, `{ name, ...options }`. */
export interface NamedSlot extends PluginSlot<PluginRef> {
  readonly slot: NamedKey;
}

const named = (slot: NamedKey, registry: PluginRegistry, label: (value: PluginRef, canonical: unknown) => string): NamedSlot => ({
  slot,
  path: [slot],
  key: 'name',
  registry,
  label,
});

/** `name(options that differ from their defaults)`, so a control never shares a row with its treatment. */
const withOptions = (value: PluginRef, canonical: unknown): string => pluginLabel(canonical, value.name);

/**
 * Every plug-in slot of a run's config, in one place: the config schema
 * validates each against its registry, the run id leaves out each one's
 * defaults, the runs table labels them, and `prunelab schema` describes them,
 * all from this list.
 */
export const PLUGINS = {
  dataset: named('dataset', datasetRegistry, (v) => v.name),
  model: named('model', modelRegistry, (v) => (typeof v['preset'] === 'string' ? `${v.name}:${v['preset']}` : v.name)),
  scorer: named('scorer', scorerRegistry, withOptions),
  schedule: named('schedule', scheduleRegistry, withOptions),
  structure: {
    path: ['prune', 'structure'],
    key: 'kind',
    registry: structureRegistry,
    label: structureLabel,
    // The config schema reads 'N:M' as { kind: n:m, n: N, m: M } (and refuses zeros there, with a message).
    shorthand: {
      pattern: '^[1-9][0-9]*:[1-9][0-9]*$',
      description: "N:M sparsity, e.g. '2:4': at most N of every M consecutive input weights kept.",
      example: "'N:M' such as '2:4'",
    },
  } satisfies PluginSlot<Structure>,
} as const;

/** The slots named by `name`, each a top-level key of a run's config. */
export const NAMED_SLOTS: readonly NamedSlot[] = [PLUGINS.dataset, PLUGINS.model, PLUGINS.scorer, PLUGINS.schedule];

/** Every slot, in the order `prunelab schema` lists them. */
export const PLUGIN_SLOTS: readonly PluginSlot[] = [...NAMED_SLOTS, PLUGINS.structure];
