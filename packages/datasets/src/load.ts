import { PrunelabError } from '@prunelab/core';
import type { z } from 'zod';
import { datasetRegistry } from './registry.js';
import type { LoadedDataset } from './types.js';

export interface LoadOptions {
  /** The config file the dataset section came from, named in error messages. */
  readonly file?: string;
}

/**
 * Loads a dataset from its config section, `{ name, ...options }`. Options are
 * validated by the dataset's schema (unknown keys are errors, so a typo cannot
 * silently fall back to a default); errors name `dataset.<key>` and the file.
 * The result's typed arrays live in SharedArrayBuffers and are cached per
 * process: the same config returns the same object.
 */
export async function loadDataset(config: { name: string } & Record<string, unknown>, options: LoadOptions = {}): Promise<LoadedDataset> {
  const { name, ...rest } = config;
  const file = options.file;
  const where = file !== undefined ? { file } : {};
  const entry = datasetRegistry.get(name, { ...where, path: 'dataset.name' });
  const parsed = entry.schema.safeParse(rest);
  if (!parsed.success) throw configError(name, parsed.error.issues, file);
  return entry.load(parsed.data, { file });
}

function configError(name: string, issues: readonly z.core.$ZodIssue[], file: string | undefined): PrunelabError {
  const issue = issues[0];
  let path = 'dataset';
  let message = issue?.message ?? 'invalid';
  if (issue) {
    if (issue.path.length > 0) path += `.${issue.path.map(String).join('.')}`;
    if (issue.code === 'unrecognized_keys') {
      path += `.${issue.keys[0] ?? ''}`;
      message = `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
  }
  const fix = issue?.code === 'unrecognized_keys' ? `Valid options: ${validKeys(name).join(', ')}` : undefined;
  return new PrunelabError('E_CONFIG_INVALID', `invalid options for dataset ${JSON.stringify(name)}: ${message}`, {
    path,
    ...(file !== undefined && { file }),
    ...(fix !== undefined && { fix }),
  });
}

/** Option names of a dataset, for the unknown-key hint. */
function validKeys(name: string): string[] {
  const schema = datasetRegistry.get(name).schema as unknown as { shape?: Record<string, unknown>; options?: Array<{ shape?: Record<string, unknown> }> };
  const keys = new Set<string>(['name']);
  for (const k of Object.keys(schema.shape ?? {})) keys.add(k);
  for (const o of schema.options ?? []) for (const k of Object.keys(o.shape ?? {})) keys.add(k);
  return [...keys].sort();
}
