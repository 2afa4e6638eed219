import type { Db } from './open.js';

export interface DenseModelRow {
  key: string;
  file: string;
  accuracy: number;
  loss: number;
  steps: number;
  wall_ms: number;
  backend: string;
}

export function denseModel(db: Db, key: string): DenseModelRow | undefined {
  return db.prepare(`SELECT key, file, accuracy, loss, steps, wall_ms, backend FROM dense_models WHERE key = ?`).get(key) as DenseModelRow | undefined;
}

export function countDenseModels(db: Db): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM dense_models`).get() as { n: number }).n;
}

export function runStatusCounts(db: Db, sweep: string): Record<string, number> {
  const rows = db
    .prepare(`SELECT r.status, COUNT(*) AS n FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id WHERE sr.sweep = ? GROUP BY r.status`)
    .all(sweep) as Array<{ status: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** The ids among `ids` whose run finished (status 'done'). */
export function doneRunIds(db: Db, ids: readonly string[]): Set<string> {
  const stmt = db.prepare(`SELECT status FROM runs WHERE id = ?`);
  return new Set(ids.filter((id) => (stmt.get(id) as { status: string } | undefined)?.status === 'done'));
}
