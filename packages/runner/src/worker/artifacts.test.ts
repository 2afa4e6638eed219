import { describe, expect, it } from 'vitest';
import { ArtifactKeeper } from './artifacts.js';

/** The points a one-shot run with fine-tuning emits for targets 0.5 and 0.9, and an iterative-like repeat of a target. */
const POINTS = [
  { step: 0, phase: 'dense', targetSparsity: 0, onCurve: true },
  { step: 1, phase: 'pruned', targetSparsity: 0.5, onCurve: false },
  { step: 2, phase: 'finetuned', targetSparsity: 0.5, onCurve: true },
  { step: 3, phase: 'pruned', targetSparsity: 0.9, onCurve: false },
  { step: 4, phase: 'finetuned', targetSparsity: 0.9, onCurve: true },
];

function keep(policy: 'none' | 'final' | 'all', points = POINTS) {
  const sent: Array<{ step: number; target: number; bytes: string }> = [];
  const keeper = new ArtifactKeeper(policy, (m) => sent.push({ step: m.step, target: m.targetSparsity, bytes: Buffer.from(m.data).toString() }));
  const encoded: number[] = [];
  for (const p of points) {
    keeper.point(p, () => {
      encoded.push(p.step);
      return Buffer.from(`w${p.step}`);
    });
  }
  keeper.end();
  return { sent, encoded };
}

describe('which points keep their weights', () => {
  it('final: the last point of each target, after fine-tuning; not the dense point; the pruned points not even encoded', () => {
    const { sent, encoded } = keep('final');
    expect(sent).toEqual([
      { step: 2, target: 0.5, bytes: 'w2' },
      { step: 4, target: 0.9, bytes: 'w4' },
    ]);
    expect(encoded).toEqual([2, 4]);
  });

  it('final without fine-tuning: the pruned point is the last of its target', () => {
    const points = POINTS.filter((p) => p.phase !== 'finetuned').map((p) => ({ ...p, onCurve: true }));
    expect(keep('final', points).sent.map((s) => s.step)).toEqual([1, 3]);
  });

  it('all: every point, dense included, in order; none: nothing is even encoded', () => {
    expect(keep('all').sent.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
    expect(keep('none')).toEqual({ sent: [], encoded: [] });
  });

  it('sends buffers it can transfer whole (a pooled Buffer is copied out first)', () => {
    const sent: Uint8Array[] = [];
    const keeper = new ArtifactKeeper('all', (m) => sent.push(m.data));
    keeper.point({ step: 0, phase: 'dense', targetSparsity: 0, onCurve: true }, () => Buffer.from('pooled'));
    expect(sent[0]!.byteOffset).toBe(0);
    expect(sent[0]!.byteLength).toBe(sent[0]!.buffer.byteLength);
    expect(Buffer.from(sent[0]!).toString()).toBe('pooled');
  });
});
