import { z } from 'zod';
import { randomAxisSchema, runConfigSchema, sweepSchema } from '@prunelab/runner';
import { out } from '../output.js';
import { parse } from './args.js';
import { SLOTS, slotJsonSchema, withoutRequired, type Slot } from './option-schemas.js';
import type { Command } from './types.js';

type Json = Record<string, unknown>;

const RANDOM_DESCRIPTION =
  'Random search (Bergstra & Bengio 2012): n points, each config path under params drawn from its distribution ' +
  '(uniform in [low, high), loguniform, int in [low, high] inclusive, or choice among values) by a generator seeded ' +
  'with seed (default 0) alone, so the same n points come back on every run of the sweep. Every grid x zip ' +
  'combination is run at each of the n points, then once per seed in seeds.';

/**
 * The sweep format as JSON Schema, for editors (yaml-language-server) and
 * validators. The run keys come from the run schema; the plug-in slots
 * (dataset, model, scorer, schedule, prune.structure) list every registry
 * entry with its own options, keyed by name, so editors complete and check
 * them; grid and zip complete the same values under those paths. Nothing of
 * a run is required in the file (see withoutRequired): the schema checks
 * names, keys and values, and loading checks that each run is complete.
 */
export function sweepJsonSchema(): Json {
  const run = z.toJSONSchema(runConfigSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const sweep = z.toJSONSchema(sweepSchema.extend({ random: randomAxisSchema.optional().describe(RANDOM_DESCRIPTION) }), {
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  const properties: Json = { ...(sweep['properties'] as Json), ...withoutRequired(run['properties'] as Json) };
  // Each slot's schema once, under $defs, referenced from the slot and from grid/zip.
  const defs: Json = {};
  for (const slot of SLOTS) {
    const name = defName(slot);
    defs[name] = slotJsonSchema(slot);
    // Keep what the run schema says of the slot (its description, and its default where it has one).
    const { description, default: fallback } = nodeAt(properties, slot.path) ?? {};
    setAt(properties, slot.path, {
      ...(description !== undefined && { description }),
      ...(fallback !== undefined && { default: fallback }),
      $ref: `#/$defs/${name}`,
    });
  }
  for (const axis of ['grid', 'zip']) {
    const a = properties[axis] as Json;
    properties[axis] = { ...a, properties: axisProperties() };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'prunelab sweep',
    type: 'object',
    additionalProperties: false,
    properties,
    $defs: defs,
  };
}

/** Under grid: and zip:, a slot's path takes a list of that slot's values, and `<slot>.<key>` a list of its names. */
function axisProperties(): Json {
  const out: Json = {};
  for (const slot of SLOTS) {
    const list = (items: Json): Json => ({ type: 'array', minItems: 1, items });
    out[slot.path] = list({ $ref: `#/$defs/${defName(slot)}` });
    out[`${slot.path}.${slot.key}`] = list({ type: 'string', enum: slot.registry.names() });
  }
  return out;
}

/** 'dataset', 'model', ..., 'structure'. */
const defName = (slot: Slot): string => slot.kind.slice(0, -1);

/** The run schema's node at a dotted `path` (through `properties`). */
function nodeAt(properties: Json, path: string): Json | undefined {
  let node: Json | undefined = { properties };
  for (const k of path.split('.')) node = (node?.['properties'] as Json | undefined)?.[k] as Json | undefined;
  return node;
}

function setAt(properties: Json, path: string, value: Json): void {
  const keys = path.split('.');
  let node = properties;
  for (const k of keys.slice(0, -1)) node = (node[k] as Json)['properties'] as Json;
  node[keys.at(-1)!] = value;
}

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of sweep files (prunelab schema > sweep.schema.json)',
  usage: 'prunelab schema',
  async run(argv) {
    const { values } = parse('schema', argv, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      out(schemaCommand.usage);
      return 0;
    }
    out(JSON.stringify(sweepJsonSchema(), null, 2));
    return 0;
  },
};
