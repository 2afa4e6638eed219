/**
 * Errors with a stable `code`, after vitest's `node/errors.ts`.
 *
 * A user error (bad config, missing file, unknown name) exits with status 2 and
 * writes nothing; its message names the file, the key path, the bad value and
 * the fix. Codes are part of the public contract: tests and scripts match on
 * them, so never rename one.
 */
import { closestFirst } from './closest.js';

export type ErrorCode =
  | 'E_FILE_NOT_FOUND'
  | 'E_YAML_PARSE'
  | 'E_CONFIG_INVALID'
  | 'E_UNKNOWN_NAME'
  | 'E_DATASET_MISSING'
  | 'E_DATASET_CORRUPT'
  | 'E_MODEL_INVALID'
  | 'E_DATABASE_INVALID'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_STORE'
  | 'E_RUN_FAILED'
  | 'E_INTERNAL';

/** Exit status for bad input, as promised in the README. */
export const USER_ERROR_EXIT = 2;

export interface ErrorDetails {
  /** The file the bad input came from, when there is one. */
  file?: string;
  /** Dotted key path inside the config, e.g. `prune.sparsities[3]`. */
  path?: string;
  /** 1-based line and column inside `file`. */
  line?: number;
  column?: number;
  /** The offending value, shown as JSON. */
  value?: unknown;
  /** What the user should do instead. */
  fix?: string;
}

export class PrunelabError extends Error {
  override name = 'PrunelabError';
  readonly code: ErrorCode;
  /** The problem alone, without the position, value and fix that `message` adds. */
  readonly problem: string;
  readonly details: ErrorDetails;
  /** True for errors caused by the user's input (exit status 2). */
  readonly isUserError: boolean;

  constructor(code: ErrorCode, problem: string, details: ErrorDetails = {}, options: { cause?: unknown } = {}) {
    super(formatMessage(problem, details), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problem = problem;
    this.details = details;
    this.isUserError = code !== 'E_INTERNAL' && code !== 'E_RUN_FAILED' && code !== 'E_STORE';
  }
}

/** Renders `file:line:col: key: problem (got value). fix` on one line. */
function formatMessage(problem: string, d: ErrorDetails): string {
  let where = d.file ?? '';
  if (where && d.line !== undefined) where += `:${d.line}${d.column !== undefined ? `:${d.column}` : ''}`;
  const parts: string[] = [];
  if (where) parts.push(`${where}:`);
  if (d.path) parts.push(`${d.path}:`);
  parts.push(problem);
  let msg = parts.join(' ');
  if (d.value !== undefined) msg += ` (got ${showValue(d.value)})`;
  if (d.fix) msg += `. ${d.fix}`;
  return msg;
}

function showValue(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

/**
 * The same error with the sweep file's position added: a plug-in (a model
 * importer) knows what is wrong with a value but not where the sweep file
 * wrote it; the loader does. An error that already names a file (a corrupt
 * data file) is returned as it is.
 */
export function withPosition(e: PrunelabError, where: Pick<ErrorDetails, 'file' | 'line' | 'column'>): PrunelabError {
  if (e.details.file !== undefined || where.file === undefined) return e;
  const pos = { file: where.file, ...(where.line !== undefined && { line: where.line }), ...(where.column !== undefined && { column: where.column }) };
  return new PrunelabError(e.code, e.problem, { ...e.details, ...pos }, { cause: e });
}

export function isPrunelabError(e: unknown): e is PrunelabError {
  return e instanceof PrunelabError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'PrunelabError');
}

/** An unknown name, with every valid name listed closest first (closest.ts), so a typo's fix leads the list. */
export function unknownNameError(kind: string, name: string, valid: readonly string[], details: ErrorDetails = {}): PrunelabError {
  return new PrunelabError('E_UNKNOWN_NAME', `unknown ${kind} ${JSON.stringify(name)}`, {
    ...details,
    fix: `Valid ${kind} names: ${closestFirst(name, valid).join(', ')}`,
  });
}
