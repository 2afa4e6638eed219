import { PrunelabError } from '@prunelab/core';

/**
 * The two typed failures of a data file: missing (the user must fetch it) and
 * corrupt (the bytes are not what the format or the pinned checksum says).
 * A corrupt error always names the file and gives the expected and the found
 * value, so a damaged download can be told apart from a wrong file.
 */
export function corruptError(file: string, what: string, expected: unknown, found: unknown, fix: string = CORRUPT_FIX): PrunelabError {
  return new PrunelabError('E_DATASET_CORRUPT', `${what}: expected ${show(expected)}, found ${show(found)}`, { file, fix });
}

/** Bytes that are wrong can only be replaced: the fix every corruption message gives unless it has a better one. */
const CORRUPT_FIX = 'The file is damaged or is not in the expected format: download it again';

export function missingError(problem: string, fix: string, file?: string): PrunelabError {
  return new PrunelabError('E_DATASET_MISSING', problem, { fix, ...(file !== undefined && { file }) });
}

/** Too-large split sizes and similar option errors that need the data to detect. */
export function optionError(key: string, problem: string, value: unknown, file: string | undefined): PrunelabError {
  return new PrunelabError('E_CONFIG_INVALID', problem, { path: `dataset.${key}`, value, ...(file !== undefined && { file }) });
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}
