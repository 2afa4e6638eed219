/**
 * The typed error thrown for every bad input to the projection.
 *
 * This package imports nothing from the workspace (it is pure math), so it
 * carries its own error class. It mirrors the shape of `PrunelabError` in
 * @prunelab/core (a stable `code`, `isUserError`), so callers can treat both
 * alike. Codes are part of the public contract: tests match on them.
 */
export type ProjectionErrorCode = 'E_PROJECTION_NONFINITE' | 'E_PROJECTION_SHAPE' | 'E_PROJECTION_GROUP' | 'E_PROJECTION_SPARSITY' | 'E_PROJECTION_SCOPE';

export class ProjectionError extends Error {
  override name = 'ProjectionError';
  readonly code: ProjectionErrorCode;
  /** The layer the problem is in, when there is one. */
  readonly layer: string | undefined;
  /** The offending value. */
  readonly value: unknown;
  /** Every projection error is caused by the caller's input. */
  readonly isUserError = true;

  constructor(code: ProjectionErrorCode, message: string, details: { layer?: string; value?: unknown } = {}) {
    super(message);
    this.code = code;
    this.layer = details.layer;
    this.value = details.value;
  }
}

export function isProjectionError(e: unknown): e is ProjectionError {
  return e instanceof ProjectionError;
}

/** Renders a value for an error message (JSON where possible). */
export function show(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
