import type { RunConfig } from '../config/schema.js';
import type { PortMessage } from './messages.js';

type ArtifactMessage = Extract<PortMessage, { type: 'artifact' }>;

/**
 * Which of a run's points keep their weights, by the run's `artifacts:`
 * setting, and when each is sent:
 * - `all`: every evaluated point, right after it;
 * - `final`: the last point of each target (after fine-tuning, or the pruned
 *   point when nothing follows it), which is known only when the next
 *   target's first point arrives or the schedule ends: the latest point's
 *   weights are encoded when it is emitted (the net moves on afterwards) and
 *   held until then. The dense point is no target's (its weights are the
 *   dense cache's).
 * - `none`: none.
 * A point's artifact always follows the point itself, so its row finds it.
 */
export class ArtifactKeeper {
  private pending: ArtifactMessage | undefined;

  constructor(
    private readonly policy: RunConfig['artifacts'],
    private readonly send: (m: ArtifactMessage) => void,
  ) {}

  /**
   * Called right after a point is sent, while the net still holds that point's weights; `encode` is called only when they may be kept.
   * Under `final` a point off the curve (pruned, with fine-tuning to follow) is never its target's last, so it is not encoded:
   * encoding reads every variable back and packs it, work that `final` would throw away at the next point.
   */
  point(p: { readonly step: number; readonly phase: string; readonly targetSparsity: number; readonly onCurve: boolean }, encode: () => Uint8Array): void {
    if (this.policy === 'none') return;
    if (this.policy === 'final' && (p.phase === 'dense' || !p.onCurve)) return;
    const message: ArtifactMessage = { type: 'artifact', step: p.step, targetSparsity: p.targetSparsity, data: transferable(encode()) };
    if (this.policy === 'all') {
      this.send(message);
      return;
    }
    if (this.pending && this.pending.targetSparsity !== p.targetSparsity) this.send(this.pending);
    this.pending = message;
  }

  /** The schedule finished: the last target's last point is final. */
  end(): void {
    if (this.pending) this.send(this.pending);
    this.pending = undefined;
  }
}

/** A view that owns its whole ArrayBuffer, so transferring the buffer moves exactly these bytes (a pooled Buffer is copied out). */
function transferable(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const buffer = data.buffer;
  if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength) return new Uint8Array(buffer);
  return new Uint8Array(data);
}
