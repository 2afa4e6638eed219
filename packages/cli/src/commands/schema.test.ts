import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { listRows } from './list.js';
import { SLOTS } from './option-schemas.js';
import { sweepJsonSchema } from './schema.js';

type Json = Record<string, unknown>;

const repo = resolve(import.meta.dirname, '../../../..');
const schema = sweepJsonSchema();
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

/** The option keys a zod options schema declares, read from the zod schema itself (not from its JSON Schema). */
function optionKeys(s: z.ZodType): string[] {
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodUnion) return [...new Set(s.options.flatMap((o) => optionKeys(o as z.ZodType)))];
  if (s instanceof z.ZodPipe) return optionKeys(s.in as z.ZodType);
  if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) return optionKeys(s.unwrap() as z.ZodType);
  throw new Error(`optionKeys: teach this test the zod type ${s.constructor.name}`);
}

/** Properties a JSON Schema object declares, through oneOf/anyOf alternatives. */
function declared(s: Json): string[] {
  const alts = ((s['oneOf'] ?? s['anyOf'] ?? []) as Json[]).flatMap(declared);
  return [...Object.keys((s['properties'] ?? {}) as Json), ...alts];
}

/** `node`, or what its local `$ref` points to. */
function deref(node: Json): Json {
  const ref = node['$ref'];
  if (typeof ref !== 'string') return node;
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<Json>((n, k) => n[k] as Json, schema);
}

function at(root: Json, path: string): Json {
  let node: Json = root;
  for (const k of path.split('.')) node = deref((node['properties'] as Json)[k] as Json);
  return node;
}

/** The slot's alternative for one entry: the one whose key is that entry's name. */
function alternativeFor(slotSchema: Json, key: string, name: string): Json | undefined {
  const isFor = (a: Json): boolean => {
    const k = (a['properties'] as Json | undefined)?.[key] as Json | undefined;
    return k?.['const'] === name || ((a['oneOf'] ?? a['anyOf']) as Json[] | undefined)?.some(isFor) === true;
  };
  return (slotSchema['oneOf'] as Json[]).find(isFor);
}

function errors(doc: unknown): string {
  return validate(doc) ? '' : JSON.stringify(validate.errors?.slice(0, 3));
}

// Generated from the registries: every option of every entry reaches editors and `list --format json`.
describe.each(SLOTS.map((s) => [s.path, s] as const))('%s', (_path, slot) => {
  describe.each(slot.registry.list().map((e) => [e.name, e] as const))('%s', (name, entry) => {
    const keys = optionKeys(entry.schema);
    it('every option appears in the JSON Schema, under its name, at the slot and under grid/zip', () => {
      for (const slotSchema of [at(schema, slot.path), deref(((at(schema, 'grid')['properties'] as Json)[slot.path] as Json)['items'] as Json)]) {
        const alt = alternativeFor(slotSchema, slot.key, name);
        expect(alt, `${slot.path}: no alternative for ${name}`).toBeDefined();
        expect(declared(alt!)).toEqual(expect.arrayContaining([slot.key, ...keys]));
      }
    });
    it('every option appears in list --format json', () => {
      const row = listRows(slot.kind)!.find((r) => r['name'] === name)!;
      expect(declared(row['options'] as Json)).toEqual(expect.arrayContaining(keys));
      expect(JSON.parse(JSON.stringify(row))).toEqual(row);
    });
  });
});

describe('sweep.schema.json', () => {
  it('is what `prunelab schema` prints (regenerate: node packages/cli/dist/bin.js schema > sweep.schema.json)', () => {
    expect(readFileSync(join(repo, 'sweep.schema.json'), 'utf8')).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  const yamlFiles = (dir: string): string[] =>
    readdirSync(join(repo, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(dir, f));
  const files = [
    ...readdirSync(join(repo, 'experiments'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join('experiments', f)),
    ...yamlFiles('configs'),
  ];

  it.each(files)('accepts %s (a JSON-Schema validator, ajv 2020-12)', (file) => {
    expect(errors(parse(readFileSync(join(repo, file), 'utf8')))).toBe('');
  });

  it("accepts the README's sweep examples", () => {
    const blocks = [...readFileSync(join(repo, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(errors(parse(b))).toBe('');
  });

  const accepted: Array<[string, Json]> = [
    ['a model with its options', { model: { name: 'mlp', hidden: [100] } }],
    ['a bare model name', { model: 'lenet-5' }],
    ['a model needing options, with them', { model: { name: 'tfjs', path: 'model.json' } }],
    ["options completing a base file's dataset", { dataset: { trainSize: 3000 } }],
    ['a synthetic dataset (options are a union)', { dataset: { name: 'synthetic', kind: 'blobs', dims: 8 } }],
    ['the N:M shorthand', { prune: { sparsities: [0.5], structure: '2:4' } }],
    ['a block structure', { prune: { sparsities: [0.5], structure: { kind: 'block', rows: 2, cols: 2 } } }],
    ['scorers with options under grid', { grid: { scorer: ['magnitude', { name: 'snip', atInit: true }], 'dataset.name': ['mnist'] } }],
    ['any other grid path', { grid: { 'train.lr': [0.1, 0.01] } }],
    // Any key may come from an axis, a base file or --set instead (snip2019-lenet300.yaml zips prune.sparsities).
    ['a prune block without sparsities', { prune: { scope: 'layerwise' } }],
    ['a block structure whose cols come from an axis', { prune: { structure: { kind: 'block', rows: 2 } }, grid: { 'prune.structure.cols': [2, 4] } }],
    [
      'a random axis',
      {
        random: { n: 4, seed: 1, params: { 'train.lr': { dist: 'loguniform', low: 1e-4, high: 1e-1 }, 'finetune.epochs': { dist: 'choice', values: [1, 2] } } },
      },
    ],
  ];
  it.each(accepted)('accepts %s', (_label, doc) => {
    expect(errors(doc)).toBe('');
  });

  const rejected: Array<[string, Json]> = [
    ['a misspelt model option', { model: { name: 'mlp', hiden: [100] } }],
    ['an option of another model', { model: { name: 'lenet-5', hidden: [100] } }],
    ['an unknown model', { model: { name: 'mlpp' } }],
    ['a bare name whose options have no defaults', { model: 'tfjs' }],
    ['a misspelt option completing a base dataset', { dataset: { trainSise: 3000 } }],
    ['a bad structure option value', { prune: { sparsities: [0.5], structure: { kind: 'unit', reduce: 'l3' } } }],
    ['a block of zero rows', { prune: { sparsities: [0.5], structure: { kind: 'block', rows: 0, cols: 2 } } }],
    ['a sparsity of 1', { prune: { sparsities: [1] } }],
    ['an unknown scorer under zip', { zip: { scorer: ['magnitud'] } }],
    ['an unknown distribution', { random: { n: 2, params: { 'train.lr': { dist: 'normal', low: 0, high: 1 } } } }],
    ['a random axis without n', { random: { params: {} } }],
  ];
  it.each(rejected)('rejects %s', (_label, doc) => {
    expect(validate(doc)).toBe(false);
  });
});
