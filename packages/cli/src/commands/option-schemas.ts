import { z } from 'zod';
import type { RegistryEntry } from '@prunelab/core';
import { PLUGIN_SLOTS, type PluginRegistry } from '@prunelab/runner';

type Json = Record<string, unknown>;

/** What this file reads of a registry (any entry type). */
export interface EntrySource {
  get(name: string): RegistryEntry;
  list(): readonly RegistryEntry[];
  names(): string[];
}

/**
 * A config slot filled from a registry, as the runner lists them
 * (PLUGIN_SLOTS): where it sits in a sweep file, which key names the entry
 * (`name`, or `kind` for prune.structure), and the string shorthands the
 * config also accepts.
 */
export interface Slot {
  /** Config path of the slot, e.g. 'model' or 'prune.structure'. */
  readonly path: string;
  /** The `prunelab list` kind: 'datasets', 'models', ... */
  readonly kind: string;
  readonly key: 'name' | 'kind';
  readonly registry: PluginRegistry;
  /** A string pattern the slot accepts besides entry names ('2:4' for n:m). */
  readonly pattern?: { readonly regex: string; readonly description: string };
}

export const SLOTS: readonly Slot[] = PLUGIN_SLOTS.map((s) => ({
  path: s.path.join('.'),
  kind: `${s.registry.kind}s`,
  key: s.key,
  registry: s.registry,
  ...(s.shorthand && { pattern: { regex: s.shorthand.pattern, description: s.shorthand.description } }),
}));

/** An entry's options as JSON Schema (what a config may write besides the name), as the config reads them. */
export function optionsJsonSchema(entry: RegistryEntry): Json {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(entry.schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return schema;
}

/**
 * The JSON Schema of one slot, for editors (yaml-language-server) and
 * validators: `oneOf`
 * - a string: an entry whose options all have defaults, or the slot's pattern;
 * - per entry, `{ <key>: const name, ...its options }`, so an editor completes
 *   `hidden` under `model: { name: mlp }` and flags `hiden`;
 * - an object without the key, which a sweep writes to complete one from
 *   `extends:` (`dataset: { trainSize: 20000 }`): any entry's options.
 */
export function slotJsonSchema(slot: Slot): Json {
  const entries = slot.registry.list();
  const bare = entries.filter((e) => e.schema.safeParse({}).success).map((e) => e.name);
  const strings: Json[] =
    bare.length > 0
      ? [{ type: 'string', enum: bare, description: `A ${slot.kind.slice(0, -1)} whose options all have defaults (\`prunelab list ${slot.kind}\`).` }]
      : [];
  if (slot.pattern) strings.push({ type: 'string', pattern: slot.pattern.regex, description: slot.pattern.description });
  const perEntry = entries.map((e) => withKey(withoutRequired(optionsJsonSchema(e)), slot.key, e.name, e.description));
  const partial: Json = {
    type: 'object',
    description: `Options completing the ${slot.path} of a base config (extends:); the ${slot.key} comes from there.`,
    not: { required: [slot.key] },
    properties: unionOfProperties(entries.map(optionsJsonSchema)),
    additionalProperties: false,
  };
  return { oneOf: [...strings, ...perEntry, partial] };
}

/** `schema` with the required `key: const name` added to its object alternative(s). */
function withKey(schema: Json, key: string, name: string, description: string): Json {
  const alternatives = (schema['oneOf'] ?? schema['anyOf']) as Json[] | undefined;
  if (alternatives) {
    const which = schema['oneOf'] ? 'oneOf' : 'anyOf';
    return { ...schema, description, [which]: alternatives.map((a) => withKey(a, key, name, description)) };
  }
  const properties = (schema['properties'] ?? {}) as Json;
  return {
    ...schema,
    type: 'object',
    description,
    properties: { [key]: { const: name, description }, ...properties },
    required: [key],
  };
}

/**
 * `schema` with no key required anywhere in it. In a sweep file any config
 * path may be set by a grid/zip/random axis instead (snip2019-lenet300.yaml
 * sets prune.sparsities per zip row), by a base file or by --set, so only the
 * loaded run can be checked for completeness (the loader does, naming the key).
 */
export function withoutRequired<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s: unknown) => withoutRequired(s)) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'required' && Array.isArray(v)) continue;
    out[k] = withoutRequired(v);
  }
  return out as T;
}

/** Every property any of `schemas` (or their alternatives) declares; one that differs between entries accepts any of its forms. */
function unionOfProperties(schemas: readonly Json[]): Json {
  const forms = new Map<string, Map<string, unknown>>();
  const visit = (s: Json): void => {
    for (const alt of (s['oneOf'] ?? s['anyOf'] ?? []) as Json[]) visit(alt);
    for (const [k, v] of Object.entries((s['properties'] ?? {}) as Json)) {
      const seen = forms.get(k) ?? new Map<string, unknown>();
      seen.set(JSON.stringify(v), v);
      forms.set(k, seen);
    }
  };
  schemas.forEach(visit);
  const out: Json = {};
  for (const k of [...forms.keys()].sort()) {
    const vs = [...forms.get(k)!.values()];
    out[k] = vs.length === 1 ? vs[0] : { anyOf: vs };
  }
  return out;
}
