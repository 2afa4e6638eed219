import { z } from 'zod';
import { sweepSchema, runConfigSchema } from '@prunelab/runner';
import { out } from '../output.js';
import type { Command } from './types.js';

/**
 * The sweep format as JSON Schema, for editors (yaml-language-server). The run
 * keys come from the run schema, so editors check them; axes stay free-form.
 */
export function sweepJsonSchema(): Record<string, unknown> {
  const run = z.toJSONSchema(runConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const sweep = z.toJSONSchema(sweepSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
  const runProps = (run['properties'] ?? {}) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'prunelab sweep',
    type: 'object',
    additionalProperties: false,
    properties: { ...sweep.properties, ...runProps },
  };
}

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of sweep files (prunelab schema > sweep.schema.json)',
  usage: 'prunelab schema',
  async run() {
    out(JSON.stringify(sweepJsonSchema(), null, 2));
    return 0;
  },
};
