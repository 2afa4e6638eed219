import type { Net } from '@prunelab/models';
import { structureRegistry } from './all.js';

/**
 * Unit-level structures never remove the classifier's output units.
 *
 * The last weight layer of a Net produces the logits (the Net checks that the
 * architecture ends in `classes` outputs, and only parameter-free layers may
 * follow it), so each of its units is a class. Removing one makes that class
 * unpredictable; it is a different task, not a smaller network. Li et al. 2017
 * ("Pruning Filters for Efficient ConvNets") and Molchanov et al. 2017 prune
 * hidden filters only. This matters most under a global scope, where unit
 * norms of layers with different fan-ins are compared: in our first families
 * sweep `random` removed 9 of LeNet-300-100's 10 logits and accuracy fell to
 * chance (experiments/README.md, known issue 4).
 *
 * Weight-level structures (unstructured, n:m, block) may still prune the output
 * layer's weights, as in Han et al. 2015; `exclude` keeps it dense if wanted.
 * The returned spec counts the output layer as excluded, so achieved sparsity
 * is over the layers that were prunable, as with an explicit `exclude`.
 */
export function keepOutputUnits<P extends { readonly structure: { readonly kind: string }; readonly exclude: readonly string[] }>(net: Net, prune: P): P {
  if (!structureRegistry.has(prune.structure.kind) || structureRegistry.get(prune.structure.kind).granularity !== 'unit') return prune;
  const output = net.params[net.params.length - 1]?.name;
  if (output === undefined || prune.exclude.includes(output)) return prune;
  return { ...prune, exclude: [...prune.exclude, output] };
}
