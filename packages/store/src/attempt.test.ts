import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './open.js';
import { Writer } from './writer.js';
import { formatOwner, newOwner, ownerIsGone } from './ownership.js';
import type { RunAttempt } from './attempt.js';
import { pointRecord, runRecord, tempDbFile } from './test-utils/records.js';

const LEASE = 10_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');
/** A run's full curve in these tests: the dense point and (pruned, fine-tuned) at three targets. */
const FULL = 7;
/** The accuracy field carries a tag, so a test can tell which attempt wrote a point. */
const pointAt = (step: number, tag = 0.9) => pointRecord(step, step === 0 ? 'dense' : step % 2 === 1 ? 'pruned' : 'finetuned', step === 0 ? 0 : 0.5, tag);

/** An owner on a machine of its own: only its lease tells whether it lives. */
const remote = (name: string) => formatOwner({ host: `${name}.example`, pid: 4242, token: 'a0' });
/** A process of this machine that is alive (our parent) or certainly dead (a child that has exited). */
const liveLocal = () => formatOwner({ host: hostname(), pid: process.ppid, token: 'a1' });
const deadLocal = () => formatOwner({ host: hostname(), pid: spawnSync(process.execPath, ['-e', '0']).pid!, token: 'd1' });

function setup(file = tempDbFile()): { db: Db; w: Writer } {
  const db = openDatabase(file);
  const w = new Writer(db);
  w.upsertSweep({ name: 's', file: null, yaml: '', gitCommit: null });
  w.registerRuns('s', [runRecord('r')]);
  return { db, w };
}

const claim = (w: Writer, owner: string, now = T0, retryFailed = false) => w.claimRun('r', { owner, leaseMs: LEASE, retryFailed, lane: 'cpu', now });
const take = (w: Writer, owner: string, now = T0): RunAttempt => {
  const c = claim(w, owner, now);
  if (!c.claimed) throw new Error(`refused: ${c.status}`);
  return c.attempt;
};
const row = (db: Db) =>
  db.prepare(`SELECT status, owner, error, (SELECT COUNT(*) FROM points WHERE run_id = 'r') AS points FROM runs WHERE id = 'r'`).get() as {
    status: string;
    owner: string | null;
    error: string | null;
    points: number;
  };
const writeAll = (a: RunAttempt, from = 0) => {
  for (let s = from; s < FULL; s++) expect(a.addPoint(pointAt(s))).toBe(true);
};

describe('one owner per run', () => {
  it('the reported loss: a second process cannot clear a live run, and a late owner cannot write or finish a run taken over', () => {
    const { db, w } = setup();
    const a = take(w, remote('a'));
    writeAll(a, 0);
    // Another process while a's lease holds: refused, a's points untouched.
    expect(claim(w, remote('b'), T0 + LEASE - 1)).toMatchObject({ claimed: false, status: 'running', owner: remote('a') });
    expect(row(db).points).toBe(FULL);
    // a stalls past its lease; b takes over and starts afresh.
    const c = claim(w, remote('b'), T0 + LEASE + 1);
    expect(c).toMatchObject({ claimed: true, tookOverFrom: remote('a') });
    const b = (c as { attempt: RunAttempt }).attempt;
    expect(b.addPoint(pointAt(0))).toBe(true);
    // a wakes up: every write and its finish are refused, so the run is not `done` with b's one point.
    expect(a.addPoint(pointAt(6))).toBe(false);
    expect(a.started({ backend: 'x', lane: 'cpu', env: {} })).toBe(false);
    expect(a.finish({ status: 'done', expectedPoints: FULL })).toBe('lost');
    expect(a.finish({ status: 'failed', error: 'x' })).toBe('lost');
    expect(row(db)).toMatchObject({ status: 'running', owner: remote('b'), points: 1 });
    writeAll(b, 1);
    expect(b.finish({ status: 'done', expectedPoints: FULL })).toBe('finished');
    expect(row(db)).toMatchObject({ status: 'done', points: FULL });
    // A done run is never claimed again.
    expect(claim(w, remote('c'), T0 + 10 * LEASE)).toMatchObject({ claimed: false, status: 'done' });
    db.close();
  });

  it('renewing the lease keeps the run; a live process of this host keeps it whatever the lease says', () => {
    const { db, w } = setup();
    take(w, remote('a'));
    expect(w.renewLeases(remote('a'), LEASE, T0 + LEASE / 2)).toBe(1);
    expect(claim(w, remote('b'), T0 + LEASE + 1).claimed).toBe(false);
    expect(claim(w, remote('b'), T0 + 1.5 * LEASE + 1).claimed).toBe(true);
    db.close();

    const local = setup();
    take(local.w, liveLocal());
    expect(claim(local.w, newOwner(), T0 + 1).claimed).toBe(false);
    local.db.close();
  });

  it('a run left by a dead process of this host is taken over at once, lease or not', () => {
    const { db, w } = setup();
    const dead = deadLocal();
    take(w, dead);
    expect(ownerIsGone(dead, T0 + LEASE, T0, newOwner())).toBe(true);
    expect(claim(w, newOwner(), T0 + 1)).toMatchObject({ claimed: true, tookOverFrom: dead });
    db.close();
  });

  it('releaseAbandoned marks only runs whose owner is gone as interrupted', () => {
    const { db, w } = setup();
    w.registerRuns('s', [runRecord('r2', 'random')]);
    take(w, deadLocal());
    const live = w.claimRun('r2', { owner: liveLocal(), leaseMs: LEASE, retryFailed: false, lane: 'cpu' });
    expect(live.claimed).toBe(true);
    expect(w.releaseAbandoned(['r', 'r2'], newOwner())).toBe(1);
    expect(row(db)).toMatchObject({ status: 'interrupted' });
    expect(row(db).error).toMatch(/ended without finishing it/);
    expect(w.states(['r2']).get('r2')).toMatchObject({ status: 'running', owner: liveLocal() });
    db.close();
  });

  it('a run is done only with all the points its worker sent; otherwise it is interrupted and runs again', () => {
    const { db, w } = setup();
    const a = take(w, remote('a'));
    for (let s = 0; s < 3; s++) a.addPoint(pointAt(s));
    expect(a.finish({ status: 'done', expectedPoints: FULL })).toBe('incomplete');
    expect(row(db)).toMatchObject({ status: 'interrupted', points: 3 });
    expect(row(db).error).toMatch(/only 3 of its 7 points/);
    const again = take(w, remote('b'), T0 + 1);
    expect(row(db).points).toBe(0);
    writeAll(again);
    expect(again.finish({ status: 'done' })).toBe('finished');
    db.close();
  });

  it('a failed run is claimed again only when retrying', () => {
    const { db, w } = setup();
    take(w, remote('a')).finish({ status: 'failed', error: 'boom' });
    expect(claim(w, remote('b'))).toMatchObject({ claimed: false, status: 'failed' });
    expect(claim(w, remote('b'), T0, true).claimed).toBe(true);
    db.close();
  });

  it('any interleaving of processes that claim, write, stall and die leaves no done run without its full curve from one attempt', () => {
    // Each process runs the program of `prunelab run`: claim, write the points in order, finish; while it acts it
    // renews its lease. 'stall' lets every lease run out (a process paused, or a clock jump); 'kill' is kill -9.
    type Op = 'A' | 'B' | 'stall' | 'killA' | 'killB';
    const weighted = (op: Op, weight: number) => ({ arbitrary: fc.constant(op), weight });
    const ops = fc.array(fc.oneof(weighted('A', 10), weighted('B', 10), weighted('stall', 2), weighted('killA', 1), weighted('killB', 1)), {
      minLength: 10,
      maxLength: 60,
    });
    fc.assert(
      fc.property(ops, (script) => {
        const { db, w } = setup(':memory:');
        try {
          let now = T0;
          let claims = 0;
          const procs = new Map(
            ['A', 'B'].map((p) => [p, { owner: remote(p), alive: true, ended: false, attempt: undefined as RunAttempt | undefined, next: 0, tag: 0 }]),
          );
          for (const op of script) {
            if (op === 'stall') now += LEASE + 1;
            else if (op === 'killA' || op === 'killB') procs.get(op.slice(4))!.alive = false;
            else {
              const p = procs.get(op)!;
              if (!p.alive || p.ended) continue;
              w.renewLeases(p.owner, LEASE, now);
              if (!p.attempt) {
                const c = claim(w, p.owner, now);
                if (c.claimed) Object.assign(p, { attempt: c.attempt, next: 0, tag: ++claims / 1000 });
                else p.ended = c.status === 'done';
              } else if (p.next < FULL) {
                // A refused write: another process holds the run now; this one gives it up.
                if (p.attempt.addPoint(pointAt(p.next, p.tag))) p.next++;
                else p.ended = true;
              } else {
                p.attempt.finish({ status: 'done', expectedPoints: FULL }, now);
                p.ended = true;
              }
            }
            const r = row(db);
            if (r.status === 'done') {
              expect(r.points).toBe(FULL);
              expect(db.prepare(`SELECT COUNT(DISTINCT accuracy) AS n FROM points WHERE run_id = 'r'`).get()).toEqual({ n: 1 });
            }
          }
          // Whatever happened, one more process completes the run, or finds it done.
          const rescue = claim(w, remote('rescue'), now + 3 * LEASE);
          if (rescue.claimed) {
            writeAll(rescue.attempt);
            expect(rescue.attempt.finish({ status: 'done', expectedPoints: FULL })).toBe('finished');
          }
          expect(row(db)).toMatchObject({ status: 'done', points: FULL });
        } finally {
          db.close();
        }
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});

describe('sweep membership and overrides', () => {
  it('--set adds runs marked with its list; a plain run of the file clears the mark of runs it generates and removes the rest, counted by origin', () => {
    const { db, w } = setup();
    const links = () => db.prepare(`SELECT run_id, overrides_json FROM sweep_runs WHERE sweep = 's' ORDER BY run_id`).all();
    w.registerRuns('s', [runRecord('r'), runRecord('x', 'random')], ['dataset.trainSize=3000']);
    w.registerRuns('s', [runRecord('y', 'taylor')], ['seeds=[5]']);
    expect(links()).toEqual([
      { run_id: 'r', overrides_json: null },
      { run_id: 'x', overrides_json: '["dataset.trainSize=3000"]' },
      { run_id: 'y', overrides_json: '["seeds=[5]"]' },
    ]);
    // A plain run whose file generates r and x: x becomes the file's own; y leaves the sweep, and the caller learns how it came in.
    w.registerRuns('s', [runRecord('r'), runRecord('x', 'random')]);
    expect(w.unlinkOtherRuns('s', ['r', 'x'])).toEqual({ fromFile: 0, fromOverrides: [{ overrides: ['seeds=[5]'], runs: 1 }] });
    expect(links()).toEqual([
      { run_id: 'r', overrides_json: null },
      { run_id: 'x', overrides_json: null },
    ]);
    expect(w.unlinkOtherRuns('s', ['r'])).toEqual({ fromFile: 1, fromOverrides: [] });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM runs`).get()).toEqual({ n: 3 }); // kept in the database
    db.close();
  });
});
