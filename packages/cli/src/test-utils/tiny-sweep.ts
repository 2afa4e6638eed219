import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSweep } from '@prunelab/runner';

/** Shown verbatim in reports: it must come out as text, never as markup. */
export const HOSTILE_DESCRIPTION = '<script>window.__pwned = 1</script> tiny sweep';

/**
 * A real sweep, small enough for a test (about 5 s): blobs, a 16-unit MLP,
 * magnitude against random at three targets, two seeds, through runSweep and
 * the worker lane exactly as `prunelab run` does it.
 */
export async function runTinySweep(dir: string): Promise<{ database: string; sweep: string }> {
  const file = join(dir, 'tiny.yaml');
  writeFileSync(
    file,
    `name: tiny
description: ${JSON.stringify(HOSTILE_DESCRIPTION)}
dataset: { name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 300, valSize: 0, testSize: 200 }
model: { name: mlp, hidden: [16] }
train: { epochs: 1, batchSize: 50 }
finetune: { epochs: 0.2, batchSize: 50 }
prune: { sparsities: [0.5, 0.8, 0.9], scope: global, structure: unstructured }
schedule: one-shot
grid:
  scorer: [magnitude, random]
seeds: [0, 1]
`,
  );
  const summary = await runSweep({ file, results: join(dir, 'results'), jobs: 2 });
  return { database: summary.database, sweep: summary.sweep };
}
