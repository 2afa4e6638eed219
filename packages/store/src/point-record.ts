/**
 * What the store writes for one evaluated step of a run: one row of the
 * `points` table, each field named after its column (`perLayer` is stored as
 * JSON in per_layer_json). The worker sends it as a schedule emitted it, with
 * whether it is on the curve.
 */
export interface PointRecord {
  readonly step: number;
  readonly phase: 'dense' | 'pruned' | 'finetuned';
  readonly onCurve: boolean;
  readonly targetSparsity: number;
  readonly sparsity: number;
  readonly nonzeroParams: number;
  readonly prunableParams: number;
  readonly totalParams: number;
  readonly nonzeroTotal: number;
  readonly accuracy: number;
  readonly loss: number;
  readonly robustAccuracy?: number | undefined;
  readonly macsDense: number;
  readonly macsEffective: number;
  readonly perLayer: Record<string, number>;
  readonly wallMs: number;
}
