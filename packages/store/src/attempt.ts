import type Database from 'better-sqlite3';
import { PrunelabError } from '@prunelab/core';
import type { Db } from './open.js';
import { ownerIsGone } from './ownership.js';
import type { RunStatus } from './schema.js';
import type { PointRecord } from './point-record.js';
import { resultsRoot, writeArtifactFile } from './artifact-files.js';

export interface ClaimOptions {
  /** This attempt's owner string (see newOwner). */
  readonly owner: string;
  /** How long the claim holds without a renewal (renewLeases). */
  readonly leaseMs: number;
  /** Also take a run whose last attempt failed; otherwise a failed run is left as it is. */
  readonly retryFailed: boolean;
  readonly lane: string;
  /** Epoch ms; tests fix it. */
  readonly now?: number;
}

/** What claiming a run came to: an attempt that holds it, or the state that stopped the claim. */
export type Claim =
  | { readonly claimed: true; readonly attempt: RunAttempt; readonly tookOverFrom: string | null }
  | { readonly claimed: false; readonly status: RunStatus; readonly owner: string | null };

/** finished: the run has its new status. lost: another process holds it now. incomplete: 'done' refused, the run is marked interrupted. */
export type FinishResult = 'finished' | 'lost' | 'incomplete';

export interface FinishOutcome {
  readonly status: Exclude<RunStatus, 'pending' | 'running'>;
  readonly error?: string;
  readonly stack?: string;
  readonly scoreMs?: number;
  /**
   * For 'done': how many points the run produced (the worker's messages). The
   * run becomes done only if exactly these are stored, in the same statement,
   * so a done run always has its full curve.
   */
  readonly expectedPoints?: number;
  /** For 'done': how many artifacts the run produced; they must all be stored too (default: those this attempt stored). */
  readonly expectedArtifacts?: number;
}

/** One point's weights as the worker sends them: the encoded artifact (@prunelab/models' artifact format). */
export interface ArtifactRecord {
  readonly step: number;
  readonly targetSparsity: number;
  readonly data: Uint8Array;
}

interface RunOwnerRow {
  status: RunStatus;
  owner: string | null;
  lease_until: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The prepared statements of every attempt on one connection. */
export class AttemptStatements {
  readonly read: Database.Statement;
  readonly take: Database.Statement;
  readonly clearPoints: Database.Statement;
  readonly started: Database.Statement;
  readonly addPoint: Database.Statement;
  readonly finishDone: Database.Statement;
  readonly finishOther: Database.Statement;
  readonly pointCount: Database.Statement;
  readonly artifactCount: Database.Statement;
  readonly clearArtifacts: Database.Statement;
  readonly owns: Database.Statement;
  readonly addArtifact: Database.Statement;
  /** The results folder: artifacts are files under it (artifacts/), rows in the database. */
  readonly root: string;

  constructor(readonly db: Db) {
    this.root = resultsRoot(db.name);
    this.read = db.prepare(`SELECT status, owner, lease_until FROM runs WHERE id = ?`);
    // Compare-and-set on the state just read, inside an IMMEDIATE transaction. A
    // new attempt starts with no points and no training record of its own.
    this.take = db.prepare(
      `UPDATE runs SET status = 'running', owner = @owner, lease_until = @until, lane = @lane, backend = NULL, started_at = @nowIso, ended_at = NULL,
         error = NULL, error_stack = NULL, attempts = attempts + 1, training_json = NULL, train_steps = NULL, train_examples = NULL
       WHERE id = @id AND status = @prevStatus AND owner IS @prevOwner`,
    );
    this.clearPoints = db.prepare(`DELETE FROM points WHERE run_id = ?`);
    this.clearArtifacts = db.prepare(`DELETE FROM artifacts WHERE run_id = ?`);
    this.owns = db.prepare(`SELECT 1 FROM runs WHERE id = @id AND owner = @owner AND status = 'running'`);
    // Like a point, only by the owner of a running run; and only for a point that is stored (the foreign key).
    this.addArtifact = db.prepare(
      `INSERT INTO artifacts (run_id, step, target_sparsity, path, bytes, sha256)
       SELECT @runId, @step, @targetSparsity, @path, @bytes, @sha256
       WHERE EXISTS (SELECT 1 FROM runs WHERE id = @runId AND owner = @owner AND status = 'running')
       ON CONFLICT(run_id, step) DO UPDATE SET target_sparsity = excluded.target_sparsity, path = excluded.path, bytes = excluded.bytes, sha256 = excluded.sha256`,
    );
    this.started = db.prepare(
      `UPDATE runs SET backend = @backend, lane = @lane, env_json = @env, started_at = @nowIso WHERE id = @id AND owner = @owner AND status = 'running'`,
    );
    // Only the owner of a running run may add its points: the check is in the statement itself.
    this.addPoint = db.prepare(
      `INSERT INTO points (run_id, step, phase, on_curve, target_sparsity, sparsity, nonzero_params, prunable_params, total_params, nonzero_total,
         accuracy, loss, robust_accuracy, macs_dense, macs_effective, per_layer_json, wall_ms)
       SELECT @runId, @step, @phase, @onCurve, @targetSparsity, @sparsity, @nonzeroParams, @prunableParams, @totalParams, @nonzeroTotal,
         @accuracy, @loss, @robustAccuracy, @macsDense, @macsEffective, @perLayer, @wallMs
       WHERE EXISTS (SELECT 1 FROM runs WHERE id = @runId AND owner = @owner AND status = 'running')
       ON CONFLICT(run_id, step) DO UPDATE SET phase = excluded.phase, accuracy = excluded.accuracy, loss = excluded.loss`,
    );
    this.finishDone = db.prepare(
      `UPDATE runs SET status = 'done', ended_at = @nowIso, error = NULL, error_stack = NULL, score_ms = COALESCE(@scoreMs, score_ms), lease_until = NULL
       WHERE id = @id AND owner = @owner AND status = 'running' AND (SELECT COUNT(*) FROM points WHERE run_id = @id) = @expected
         AND (SELECT COUNT(*) FROM artifacts WHERE run_id = @id) = @expectedArtifacts`,
    );
    this.finishOther = db.prepare(
      `UPDATE runs SET status = @status, ended_at = @nowIso, error = @error, error_stack = @stack, score_ms = COALESCE(@scoreMs, score_ms), lease_until = NULL
       WHERE id = @id AND owner = @owner AND status = 'running'`,
    );
    this.pointCount = db.prepare(`SELECT COUNT(*) AS n FROM points WHERE run_id = ?`);
    this.artifactCount = db.prepare(`SELECT COUNT(*) AS n FROM artifacts WHERE run_id = ?`);
  }
}

/**
 * Takes a run for one attempt, atomically: it must not be done (nor failed,
 * unless retrying), and if it is running, its owner must be gone. The claim
 * drops the points and artifact rows of any earlier attempt in the same
 * transaction (their files stay: content-addressed, a rerun that ends in the
 * same weights names the same file).
 */
export function claimRun(s: AttemptStatements, id: string, o: ClaimOptions): Claim {
  const now = o.now ?? Date.now();
  return s.db
    .transaction((): Claim => {
      const row = s.read.get(id) as RunOwnerRow | undefined;
      if (!row) throw new PrunelabError('E_INTERNAL', `run ${id} is not registered`);
      const refuse: Claim = { claimed: false, status: row.status, owner: row.owner };
      if (row.status === 'done' || (row.status === 'failed' && !o.retryFailed)) return refuse;
      if (row.status === 'running' && !ownerIsGone(row.owner, row.lease_until, now, o.owner)) return refuse;
      const took = s.take.run({ id, owner: o.owner, until: now + o.leaseMs, lane: o.lane, nowIso: iso(now), prevStatus: row.status, prevOwner: row.owner });
      if (took.changes !== 1) throw new PrunelabError('E_INTERNAL', `run ${id} changed while it was being claimed in a write transaction`);
      s.clearArtifacts.run(id);
      s.clearPoints.run(id);
      return { claimed: true, attempt: new RunAttempt(s, id, o.owner), tookOverFrom: row.status === 'running' ? row.owner : null };
    })
    .immediate();
}

/**
 * One attempt at one run, as its owner. Every write checks, in its own
 * statement, that this attempt still owns the run, and reports when it does
 * not (another process took the run over after this one's lease ran out).
 */
export class RunAttempt {
  private written = 0;
  private artifactsWritten = 0;

  constructor(
    private readonly s: AttemptStatements,
    readonly runId: string,
    readonly owner: string,
  ) {}

  /** Points this attempt has stored. */
  get points(): number {
    return this.written;
  }

  /** Records where the run executes, once its worker has started. False: no longer the owner. */
  started(info: { backend: string; lane: string; env: unknown }, now = Date.now()): boolean {
    return (
      this.s.started.run({ id: this.runId, owner: this.owner, backend: info.backend, lane: info.lane, env: JSON.stringify(info.env), nowIso: iso(now) })
        .changes === 1
    );
  }

  /** Stores one point. False: no longer the owner, nothing was written. */
  addPoint(p: PointRecord): boolean {
    const changes = this.s.addPoint.run({
      runId: this.runId,
      owner: this.owner,
      step: p.step,
      phase: p.phase,
      onCurve: p.onCurve ? 1 : 0,
      targetSparsity: p.targetSparsity,
      sparsity: p.sparsity,
      nonzeroParams: p.nonzeroParams,
      prunableParams: p.prunableParams,
      totalParams: p.totalParams,
      nonzeroTotal: p.nonzeroTotal,
      accuracy: p.accuracy,
      loss: p.loss,
      robustAccuracy: p.robustAccuracy ?? null,
      macsDense: p.macsDense,
      macsEffective: p.macsEffective,
      perLayer: JSON.stringify(p.perLayer),
      wallMs: p.wallMs,
    }).changes;
    if (changes === 1) this.written++;
    return changes === 1;
  }

  /** Artifacts this attempt has stored. */
  get artifacts(): number {
    return this.artifactsWritten;
  }

  /**
   * Stores one point's weights: the file under the results folder (named by
   * its content, see writeArtifactFile) and its row, after its point. False:
   * no longer the owner; nothing was written, the file included, since
   * ownership is checked first (a file whose row then fails to appear is
   * harmless: content-addressed, and named by no row).
   */
  addArtifact(a: ArtifactRecord): boolean {
    if (this.s.owns.get({ id: this.runId, owner: this.owner }) === undefined) return false;
    const stored = writeArtifactFile(this.s.root, a.data);
    const changes = this.s.addArtifact.run({ runId: this.runId, owner: this.owner, step: a.step, targetSparsity: a.targetSparsity, ...stored }).changes;
    if (changes === 1) this.artifactsWritten++;
    return changes === 1;
  }

  finish(outcome: FinishOutcome, now = Date.now()): FinishResult {
    const common = { id: this.runId, owner: this.owner, nowIso: iso(now), scoreMs: outcome.scoreMs ?? null };
    if (outcome.status !== 'done') {
      return this.s.finishOther.run({ ...common, status: outcome.status, error: outcome.error ?? null, stack: outcome.stack ?? null }).changes === 1
        ? 'finished'
        : 'lost';
    }
    const expected = outcome.expectedPoints ?? this.written;
    const expectedArtifacts = outcome.expectedArtifacts ?? this.artifactsWritten;
    return this.s.db.transaction((): FinishResult => {
      if (this.s.finishDone.run({ ...common, expected, expectedArtifacts }).changes === 1) return 'finished';
      const stored = (this.s.pointCount.get(this.runId) as { n: number }).n;
      const storedArtifacts = (this.s.artifactCount.get(this.runId) as { n: number }).n;
      // Not the run's fault: interrupted, so the next `prunelab run` runs it again.
      const error =
        stored !== expected
          ? `only ${stored} of its ${expected} points were stored, so it was not marked done`
          : `only ${storedArtifacts} of its ${expectedArtifacts} artifacts were stored, so it was not marked done`;
      const r = this.s.finishOther.run({ ...common, status: 'interrupted', error, stack: null });
      return r.changes === 1 ? 'incomplete' : 'lost';
    })();
  }
}
