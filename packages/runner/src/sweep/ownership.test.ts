import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOwner, openDatabase, resultPaths, type Db } from '@prunelab/store';
import { createCpuLane } from '../lanes/cpu-lane.js';
import type { Lane } from '../lanes/types.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';
import { runSweep } from './run-sweep.js';

// TINY_SWEEP: magnitude and random x seeds 0 and 1 = 4 runs of 5 points each (dense, then pruned and fine-tuned at 0.5 and 0.9).
const POINTS = 5;
/** A process on a machine of its own: only its lease tells whether it lives. */
const remote = formatOwner({ host: 'other-machine.example', pid: 7, token: 'aa' });

describe('runs held by other processes, and overrides (runSweep, 2 worker threads)', () => {
  const dir = tempDir();
  const results = join(dir, 'results');
  const file = writeSweep(dir, TINY_SWEEP);
  let lane: Lane;
  let db: Db;
  const ids = () => (db.prepare(`SELECT run_id FROM sweep_runs WHERE sweep = 'tiny' ORDER BY run_id`).all() as Array<{ run_id: string }>).map((r) => r.run_id);
  const runRow = (id: string) =>
    db.prepare(`SELECT status, owner, (SELECT COUNT(*) FROM points WHERE run_id = runs.id) AS points FROM runs WHERE id = ?`).get(id) as {
      status: string;
      owner: string;
      points: number;
    };

  beforeAll(async () => {
    lane = createCpuLane(2);
    const first = await runSweep({ file, results, lanes: [lane] });
    expect(first).toMatchObject({ done: 4, notDone: { failed: 0, interrupted: 0, pending: 0, runningElsewhere: 0, abandoned: 0 } });
    db = openDatabase(resultPaths(results).database);
  });
  afterAll(async () => {
    db.close();
    await lane.close();
  });

  it('a run another live process holds is left to it (not interrupted, not cleared), and counted as not done; one whose lease ran out is taken over', async () => {
    const [held, expired, failedBefore] = ids();
    const hold = db.prepare(`UPDATE runs SET status = 'running', owner = ?, lease_until = ? WHERE id = ?`);
    hold.run(remote, Date.now() + 3_600_000, held);
    hold.run(remote, Date.now() - 1, expired);
    db.prepare(`UPDATE runs SET status = 'failed', error = 'boom' WHERE id = ?`).run(failedBefore);

    const s = await runSweep({ file, results, lanes: [lane] });
    expect(s).toMatchObject({ total: 4, skipped: 1, done: 1, notDone: { failed: 1, runningElsewhere: 1, interrupted: 0, pending: 0, abandoned: 0 } });
    expect(runRow(held!)).toMatchObject({ status: 'running', owner: remote, points: POINTS });
    expect(runRow(expired!)).toMatchObject({ status: 'done', points: POINTS });
    expect(runRow(expired!).owner).not.toBe(remote);
    expect(runRow(failedBefore!)).toMatchObject({ status: 'failed' });

    // Once the holder is gone (its lease ran out) and failures are retried, everything is done.
    db.prepare(`UPDATE runs SET lease_until = ? WHERE id = ?`).run(Date.now() - 1, held);
    const again = await runSweep({ file, results, lanes: [lane], retryFailed: true });
    expect(again).toMatchObject({ done: 2, notDone: { failed: 0, runningElsewhere: 0, interrupted: 0, pending: 0, abandoned: 0 } });
    for (const id of ids()) expect(runRow(id)).toMatchObject({ status: 'done', points: POINTS });
  });

  it('--set adds its runs to the sweep, marked, and removes none; a plain run of the file then takes them out again and says so', async () => {
    const before = ids();
    const s = await runSweep({ file, results, lanes: [lane], set: ['finetune.lr=0.002'] });
    expect(s).toMatchObject({ total: 4, done: 4, denseTrained: 0 });
    const links = db.prepare(`SELECT run_id, overrides_json FROM sweep_runs WHERE sweep = 'tiny'`).all() as Array<{
      run_id: string;
      overrides_json: string | null;
    }>;
    expect(links).toHaveLength(8);
    for (const l of links) expect(l.overrides_json).toBe(before.includes(l.run_id) ? null : '["finetune.lr=0.002"]');
    const lr = db
      .prepare(
        `SELECT DISTINCT json_extract(config_json, '$.finetune.lr') AS lr FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id WHERE sr.overrides_json IS NOT NULL`,
      )
      .all();
    expect(lr).toEqual([{ lr: 0.002 }]);

    // --set 'seeds=[0]' selects runs the file generates: nothing new, nothing removed.
    const subset = await runSweep({ file, results, lanes: [lane], set: ['seeds=[0]'] });
    expect(subset).toMatchObject({ total: 2, skipped: 2, done: 0 });
    expect(ids()).toHaveLength(8);

    await runSweep({ file, results, lanes: [lane] });
    expect(ids()).toEqual(before);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM runs`).get()).toEqual({ n: 8 }); // kept in the database

    // --set name=... only names a sweep: its runs are the file's, not marked as overridden.
    expect(await runSweep({ file, results, lanes: [lane], set: ['name=tiny-copy'] })).toMatchObject({ sweep: 'tiny-copy', skipped: 4 });
    expect(db.prepare(`SELECT COUNT(*) AS n, COUNT(overrides_json) AS marked FROM sweep_runs WHERE sweep = 'tiny-copy'`).get()).toEqual({ n: 4, marked: 0 });
  });
});
