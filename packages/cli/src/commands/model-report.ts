import { statSync } from 'node:fs';
import { PrunelabError, formatBytes } from '@prunelab/core';
import type { ExportReport } from '@prunelab/models';

const n = (x: number): string => x.toLocaleString('en-US');
/** A fraction as a percentage with two decimals. */
export const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;

/**
 * What an exported model is, as `prunelab export model` and `prunelab prune`
 * print it: where it went, its file size, parameters and nonzeros, MACs, and
 * its input and output.
 */
export function exportLines(dir: string, r: ExportReport): string[] {
  const removed = Object.entries(r.removed).filter(([, k]) => k > 0);
  return [
    `wrote ${dir}/model.json + weights.bin: ${formatBytes(r.bytes)}`,
    `  parameters: ${n(r.params)}, nonzero: ${n(r.nonzero)} (${percent(1 - r.nonzero / Math.max(1, r.params))} zeros)`,
    `  MACs per example: ${n(r.macs)} as stored, ${n(r.macsNonzero)} counting nonzero weights only`,
    `  input [${r.inputShape.join(', ')}], output ${r.output === 'softmax' ? "softmax probabilities (the model's own final softmax)" : 'logits'}`,
    ...(removed.length > 0 ? [`  physically smaller: removed ${removed.map(([layer, k]) => `${k} unit(s) of ${layer}`).join(', ')}`] : []),
    `  load it with tf.loadLayersModel: 'file://${dir}/model.json' under @tensorflow/tfjs-node, or the two files served over http in a browser`,
  ];
}

/** --out must be a folder or not exist yet: checked before any work, so a bad one writes nothing. */
export function checkOutFolder(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory())
    throw new PrunelabError('E_CONFIG_INVALID', `--out ${dir} is a file, not a folder`, {
      path: '--out',
      value: dir,
      fix: 'Name a folder: model.json and weights.bin are written into it',
    });
}
