export {
  resultPaths,
  denseModelFile,
  denseRewindFile,
  artifactPath,
  artifactFile,
  DATABASE_FILE,
  SWEEP_NAME_PATTERN,
  SWEEP_NAME_RULE,
  checkSweepName,
  reportFile,
} from './paths.js';
export type { ResultPaths } from './paths.js';
export { MIGRATIONS, TABLES, VIEWS, RUN_STATUSES } from './schema.js';
export type { RunStatus } from './schema.js';
export { openDatabase, migrate, schemaVersion, ensureFolder } from './open.js';
export type { Db } from './open.js';
export { Writer } from './writer.js';
export type { RunRecord, DenseModelRecord, RunState, Unlinked, TrainingRecord } from './writer.js';
export type { PointRecord } from './point-record.js';
export { RunAttempt } from './attempt.js';
export type { Claim, ClaimOptions, FinishOutcome, FinishResult, ArtifactRecord } from './attempt.js';
export { writeArtifactFile, readArtifactFile, resultsRoot } from './artifact-files.js';
export type { StoredArtifact } from './artifact-files.js';
export { runArtifacts, runsByIdPrefix, artifactStorage } from './artifacts.js';
export type { ArtifactRow, RunRow } from './artifacts.js';
export { newOwner, ownerIsGone, parseOwner, formatOwner } from './ownership.js';
export type { OwnerId } from './ownership.js';
export { denseModel, countDenseModels, doneRunIds, runStatusCounts } from './reader.js';
export type { DenseModelRow } from './reader.js';
export { FILTER_FIELDS, isFilterField, openResultsDatabase, listSweeps, sweepRecord, runSummaries, sweepCurve, runConfigs } from './queries.js';
export type {
  FilterField,
  FilterClause,
  Filter,
  SweepListRow,
  SweepRecordRow,
  RunSummaryRow,
  CurvePointRow,
  LabelColumns,
  RunLabelColumns,
  RunConfigRow,
} from './queries.js';
export { mergeDatabases } from './merge.js';
export type { MergeReport } from './merge.js';
