import type { Architecture } from '@prunelab/models';
import { convOut } from '@prunelab/models';

/** Parameter count of an architecture, computed from shapes alone (no tensors). */
export function paramCount(arch: Architecture): number {
  let shape = [...arch.inputShape];
  let params = 0;
  for (const l of arch.layers) {
    if (l.kind === 'dense') {
      params += shape[0]! * l.units + l.units;
      shape = [l.units];
    } else if (l.kind === 'conv2d') {
      const [h, w, c] = shape as [number, number, number];
      params += l.kernel * l.kernel * c * l.filters + l.filters;
      const [oh, ow] = convOut(h, w, l.kernel, l.stride, l.padding);
      shape = [oh, ow, l.filters];
    } else if (l.kind === 'maxpool') {
      const [h, w, c] = shape as [number, number, number];
      const [oh, ow] = convOut(h, w, l.size, l.stride, 'valid');
      shape = [oh, ow, c];
    } else {
      shape = [shape.reduce((a, b) => a * b, 1)];
    }
  }
  return params;
}
