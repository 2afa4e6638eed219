import type { Architecture } from '@prunelab/models';
import { convOut, fixedOutShape, fixedParamCount } from '@prunelab/models';

export interface ArchitectureSize {
  /** Weights and biases. */
  readonly params: number;
  /** Multiply-accumulates of one forward pass on one example (dense: in x out; conv: kernel x output pixels). */
  readonly macs: number;
}

/** Parameter and MAC counts of an architecture, computed from shapes alone (no tensors). */
export function architectureSize(arch: Architecture): ArchitectureSize {
  let shape = [...arch.inputShape];
  let params = 0;
  let macs = 0;
  for (const l of arch.layers) {
    if (l.kind === 'dense') {
      params += shape[0]! * l.units + l.units;
      macs += shape[0]! * l.units;
      shape = [l.units];
    } else if (l.kind === 'conv2d') {
      const [h, w, c] = shape as [number, number, number];
      const kernel = l.kernel * l.kernel * c * l.filters;
      params += kernel + l.filters;
      const [oh, ow] = convOut(h, w, l.kernel, l.stride, l.padding);
      macs += kernel * oh * ow;
      shape = [oh, ow, l.filters];
    } else if (l.kind === 'maxpool') {
      const [h, w, c] = shape as [number, number, number];
      const [oh, ow] = convOut(h, w, l.size, l.stride, 'valid');
      shape = [oh, ow, c];
    } else if (l.kind === 'fixed') {
      // Carried-along layers of an imported model (activations, folded batch norm, pooling).
      params += fixedParamCount(l.op);
      shape = fixedOutShape(l.op, shape);
    } else {
      shape = [shape.reduce((a, b) => a * b, 1)];
    }
  }
  return { params, macs };
}
