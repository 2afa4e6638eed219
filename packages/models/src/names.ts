import type { Architecture, LayerSpec, ParamKind } from './architecture.js';

/**
 * The names the rest of prunelab knows layers by (masks, per-layer
 * sparsities, `exclude` and `perLayer` configs, weight files): counted per
 * kind in layer order, `dense1`, `conv1`, `dwconv1` for prunable layers and
 * `bn1` for batch norms. The one place they are given: the Net, weight I/O and
 * the config check all read them from here.
 */
const PREFIX: Record<ParamKind | 'batchnorm', string> = { dense: 'dense', conv2d: 'conv', depthwiseConv2d: 'dwconv', batchnorm: 'bn' };

/** Whether a layer has a prunable kernel. */
export function isParamKind(spec: LayerSpec): spec is LayerSpec & { kind: ParamKind } {
  return spec.kind === 'dense' || spec.kind === 'conv2d' || spec.kind === 'depthwiseConv2d';
}

/** Per layer: its name if it holds variables (a prunable layer or a batch norm), else undefined. */
export function layerNames(arch: Pick<Architecture, 'layers'>): Array<string | undefined> {
  const counts = new Map<string, number>();
  return arch.layers.map((spec) => {
    if (!isParamKind(spec) && spec.kind !== 'batchnorm') return undefined;
    const prefix = PREFIX[spec.kind];
    const k = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, k);
    return `${prefix}${k}`;
  });
}

/** The prunable layers' names, in layer order. */
export function paramLayerNames(arch: Pick<Architecture, 'layers'>): string[] {
  const names = layerNames(arch);
  return arch.layers.flatMap((spec, i) => (isParamKind(spec) ? [names[i]!] : []));
}
