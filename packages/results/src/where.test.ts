import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { openResultsDatabase, runSummaries, type Db } from '@prunelab/store';
import { compare } from './compare.js';
import { formatWhere, labelKind, parseWhere, quoteWhereValue, resolveWhere } from './where.js';
import { buildSyntheticDb, ITERATIVE, SWEEP, TAYLOR, UNIT_RUNS } from './test-utils/synthetic-db.js';

describe('parseWhere', () => {
  it('parses field=value pairs, grouping repeated fields', () => {
    expect(parseWhere("scorer=magnitude,structure=2:4,scorer=random")).toEqual([
      { field: 'scorer', values: ['magnitude', 'random'] },
      { field: 'structure', values: ['2:4'] },
    ]);
    expect(parseWhere(undefined)).toEqual([]);
    expect(formatWhere(parseWhere('scorer=a, seed=1'))).toBe('scorer=a,seed=1');
  });

  it('keeps everything after the first = as the value, quotes and SQL included', () => {
    expect(parseWhere("scorer=x' OR 1=1 --")).toEqual([{ field: 'scorer', values: ["x' OR 1=1 --"] }]);
    expect(parseWhere("scorer=magnitude' OR '1'='1")).toEqual([{ field: 'scorer', values: ["magnitude' OR '1'='1"] }]);
  });

  it('takes the labels prunelab writes verbatim: commas and spaces inside brackets belong to the value', () => {
    expect(parseWhere(`schedule=${ITERATIVE},seed=0`)).toEqual([
      { field: 'schedule', values: [ITERATIVE] },
      { field: 'seed', values: ['0'] },
    ]);
    expect(parseWhere(`scorer=${TAYLOR}, scorer=magnitude`)).toEqual([{ field: 'scorer', values: [TAYLOR, 'magnitude'] }]);
    expect(parseWhere('model=mlp:lenet-300-100,structure=unit-l1-layernorm')).toEqual([
      { field: 'model', values: ['mlp:lenet-300-100'] },
      { field: 'structure', values: ['unit-l1-layernorm'] },
    ]);
  });

  it('reads quoted values, a doubled quote being one quote', () => {
    expect(parseWhere(`schedule="${ITERATIVE}", scorer='it''s'`)).toEqual([
      { field: 'schedule', values: [ITERATIVE] },
      { field: 'scorer', values: ["it's"] },
    ]);
    expect(parseWhere('scorer=" a,b) "')).toEqual([{ field: 'scorer', values: [' a,b) '] }]);
  });

  it('quotes exactly the values that would not parse back verbatim, and every value round-trips', () => {
    expect(quoteWhereValue(ITERATIVE)).toBe(ITERATIVE);
    expect(quoteWhereValue('unit-l2')).toBe('unit-l2');
    expect(quoteWhereValue('a,b')).toBe('"a,b"');
    expect(quoteWhereValue('x(')).toBe('"x("');
    expect(quoteWhereValue('"q"')).toBe('"""q"""');
    // Any text, from an alphabet heavy in the characters the grammar treats specially.
    const special = fc.constantFrom(',', '=', '(', ')', '[', ']', '{', '}', '"', "'", ' ', '\t', 'a', 'b', '1', ':', '-');
    const value = fc.oneof(fc.string({ minLength: 1 }), fc.array(special, { minLength: 1, maxLength: 12 }).map((cs) => cs.join('')));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('scorer', 'schedule', 'structure'), value), { minLength: 1, maxLength: 4 }), (pairs) => {
        const filter = parseWhere(pairs.map(([f, v]) => `${f}=${quoteWhereValue(v)}`).join(','));
        const expected = new Map<string, string[]>();
        for (const [f, v] of pairs) expected.set(f, [...(expected.get(f) ?? []), v]);
        expect(filter).toEqual([...expected].map(([field, values]) => ({ field, values })));
        expect(parseWhere(formatWhere(filter))).toEqual(filter);
      }),
      { numRuns: 500, seed: 1313 },
    );
  });

  it('rejects an unknown field, a missing value and an unclosed bracket or quote, naming the fix', () => {
    try {
      parseWhere('scorer=magnitude,colour=red');
      expect.unreachable();
    } catch (e) {
      expect(isPrunelabError(e) && e.code).toBe('E_UNKNOWN_NAME');
      expect((e as Error).message).toContain('"colour"');
      // The valid fields, closest to the typo first.
      expect((e as Error).message).toContain('Valid --where field names: scorer, model, scope, status, run_id, schedule, seed, backend, dataset, structure');
    }
    // A field name that is itself SQL never reaches a statement either.
    expect(() => parseWhere('1=1 OR scorer=x')).toThrow(/unknown --where field/);
    expect(() => parseWhere('scorer')).toThrow(/field=value/);
    expect(() => parseWhere('scorer=')).toThrow(/no value/);
    expect(() => parseWhere('schedule=iterative(rate=0.9')).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/unclosed bracket/) }));
    expect(() => parseWhere('scorer="abc')).toThrow(/unterminated "/);
    expect(() => parseWhere('scorer="a"b')).toThrow(/text after a quoted/);
  });
});

describe('labelKind', () => {
  it('names the kind of each label format the runner writes', () => {
    expect(labelKind('schedule', ITERATIVE)).toBe('iterative');
    expect(labelKind('scorer', TAYLOR)).toBe('taylor');
    expect(labelKind('scorer', 'adversarial-taylor')).toBe('adversarial-taylor');
    expect(labelKind('structure', 'unit-l2')).toBe('unit');
    expect(labelKind('structure', 'unit-l1-layernorm')).toBe('unit');
    expect(labelKind('structure', 'block4x4')).toBe('block');
    expect(labelKind('structure', '2:4')).toBe('n:m');
    expect(labelKind('structure', 'unstructured')).toBe('unstructured');
    expect(labelKind('model', 'mlp:lenet-300-100')).toBe('mlp');
    expect(labelKind('dataset', 'mnist')).toBe('mnist');
  });
});

describe('--where on stored labels', () => {
  let dir: string;
  let db: Db;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prunelab-where-'));
    db = openResultsDatabase(buildSyntheticDb(dir, UNIT_RUNS));
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ids = (where: string) => runSummaries(db, SWEEP, resolveWhere(db, SWEEP, parseWhere(where))).map((r) => r.run_id).sort();

  it('selects a generated label verbatim, and only it', () => {
    expect(ids(`schedule=${ITERATIVE}`)).toEqual(['unit-mag-0', 'unit-mag-1', 'unit-mag-2']);
    expect(ids(`schedule="${ITERATIVE}"`)).toEqual(['unit-mag-0', 'unit-mag-1', 'unit-mag-2']);
    expect(ids(`scorer=${TAYLOR}`)).toEqual(['taylor-0']);
    expect(ids('structure=unit-l2')).toEqual(['unit-mag-0', 'unit-mag-1', 'unit-mag-2']);
  });

  it('lets a bare kind select every label of that kind', () => {
    expect(ids('structure=unit')).toEqual(['unit-mag-0', 'unit-mag-1', 'unit-mag-2', 'unit-rnd-0', 'unit-rnd-1']);
    expect(ids('schedule=iterative')).toEqual(['unit-mag-0', 'unit-mag-1', 'unit-mag-2']);
    expect(ids('scorer=taylor,seed=0')).toEqual(['taylor-0']);
    expect(ids('structure=unit,scorer=random')).toEqual(['unit-rnd-0', 'unit-rnd-1']);
    expect(ids('structure=block')).toEqual([]);
    // compare keeps the filter as typed for its title, and selects by the widened one.
    const t = compare(db, SWEEP, { where: parseWhere('structure=unit') });
    expect(t.rows.map((r) => r.strategy)).toEqual([`magnitude / unit-l2 / ${ITERATIVE}`, 'random / unit-l1-layernorm / one-shot']);
    expect(formatWhere(t.filter)).toBe('structure=unit');
  });

  it('keeps a value that carries SQL a literal, kinds included', () => {
    for (const evil of ["unit' OR '1'='1", "unit'); DROP TABLE runs; --", 'iterative" OR 1=1 --']) {
      expect(ids(`structure="${evil.replaceAll('"', '""')}"`)).toEqual([]);
      expect(ids(`schedule=${quoteWhereValue(evil)}`)).toEqual([]);
    }
    expect(ids('structure=unit')).toHaveLength(5);
  });
});
