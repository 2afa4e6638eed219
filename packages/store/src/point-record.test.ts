import { describe, expect, it } from 'vitest';
import { openDatabase } from './open.js';
import { Writer } from './writer.js';
import type { PointRecord } from './point-record.js';
import { newOwner } from './ownership.js';
import { runRecord, tempDbFile } from './test-utils/records.js';

// Every field a different value, so a field written to another field's column shows.
const RECORD: Required<PointRecord> = {
  step: 3,
  phase: 'finetuned',
  onCurve: true,
  targetSparsity: 0.5,
  sparsity: 0.49,
  nonzeroParams: 51,
  prunableParams: 100,
  totalParams: 137,
  nonzeroTotal: 83,
  accuracy: 0.81,
  loss: 0.42,
  robustAccuracy: 0.61,
  macsDense: 1000,
  macsEffective: 507,
  perLayer: { dense1: 0.4, dense2: 0.6 },
  wallMs: 12.5,
};

/** The column a field is stored in: its name in snake case; the per-layer record is JSON. */
const column = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) + (field === 'perLayer' ? '_json' : '');
const stored = (value: unknown) => (typeof value === 'boolean' ? Number(value) : typeof value === 'object' ? JSON.stringify(value) : value);

describe('PointRecord', () => {
  it('stores each field in the points column of its name, and has a field for every column', () => {
    const db = openDatabase(tempDbFile());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: '', gitCommit: null });
    w.registerRuns('s', [runRecord('r')]);
    const c = w.claimRun('r', { owner: newOwner(), leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
    if (!c.claimed) throw new Error('not claimed');
    expect(c.attempt.addPoint(RECORD)).toBe(true);
    const row = db.prepare(`SELECT * FROM points WHERE run_id = 'r'`).get() as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(['run_id', ...Object.keys(RECORD).map(column)].sort());
    for (const [field, value] of Object.entries(RECORD)) expect([field, row[column(field)]]).toEqual([field, stored(value)]);
    db.close();
  });
});
