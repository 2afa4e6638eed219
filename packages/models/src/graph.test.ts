import { describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import type { LayerSpec } from './architecture.js';
import { downstreamOf, INPUT, resolveGraph, unitChain } from './graph.js';
import { layerNames, paramLayerNames } from './names.js';
import { modelRegistry } from './zoo/all.js';

const conv = (extra: Partial<Pick<LayerSpec, 'name' | 'inputs'>> = {}): LayerSpec => ({ kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'linear', ...extra });

/** The user error resolveGraph throws for these layers. */
function graphError(layers: LayerSpec[]): { code: string; message: string } {
  try {
    resolveGraph({ layers });
  } catch (e) {
    if (!isPrunelabError(e)) throw e;
    expect(e.isUserError).toBe(true);
    expect(e.details.path).toBe('model');
    expect(e.details.fix?.length).toBeGreaterThan(0);
    return { code: e.code, message: e.message };
  }
  throw new Error('resolveGraph accepted the layers');
}

describe('resolveGraph', () => {
  it('reads a Sequential stack as a chain: each layer reads the one before, the first the input', () => {
    const g = resolveGraph(modelRegistry.create('lenet-5', {})([28, 28, 1], 10));
    expect(g.sequential).toBe(true);
    expect(g.inputs).toEqual(g.inputs.map((_, i) => [i - 1]));
    expect(g.consumers).toEqual(g.consumers.map((_, i) => (i === g.consumers.length - 1 ? [] : [i + 1])));
  });

  it('resolves names to earlier layers and the network input, and lists readers', () => {
    const layers: LayerSpec[] = [
      conv({ name: 'a' }),
      conv({ name: 'b' }),
      { kind: 'add', inputs: ['b', 'input'], name: 'sum' },
      { kind: 'concatenate', inputs: ['sum', 'a'] },
    ];
    const g = resolveGraph({ layers });
    expect(g.sequential).toBe(false);
    expect(g.inputs).toEqual([[INPUT], [0], [1, INPUT], [2, 0]]);
    expect(g.consumers).toEqual([[1, 3], [2], [3], []]);
  });

  it('names the layer and its unknown input; an input listed later asks for topological order', () => {
    const unknown = graphError([conv(), { kind: 'add', inputs: ['input', 'nope'] }]);
    expect(unknown.code).toBe('E_MODEL_INVALID');
    expect(unknown.message).toContain('layers[1] (add) reads "nope", which no earlier layer is named');
    const later = graphError([conv({ inputs: ['b'] }), conv({ name: 'b' }), { kind: 'add', inputs: ['input', 'b'] }]);
    expect(later.message).toContain('layers[0] (conv2d) reads "b", which comes later (layers[1])');
    expect(later.message).toContain('topological order');
  });

  it('refuses duplicate names, the name "input", wrong input counts and an output nobody reads', () => {
    expect(graphError([conv({ name: 'x' }), conv({ name: 'x' })]).message).toContain('layers[1] (conv2d "x") has the name of layers[0]');
    expect(graphError([conv({ name: 'input' })]).message).toContain('is named "input"');
    expect(graphError([conv(), { kind: 'add' }]).message).toContain('layers[1] (add) has 1 input; add needs two or more');
    expect(graphError([conv({ name: 'a' }), conv({ inputs: ['a', 'input'] })]).message).toContain('has 2 inputs; it reads exactly one');
    expect(graphError([conv({ name: 'a' }), conv({ inputs: ['input'] })]).message).toContain('the output of layers[0] (conv2d "a") is never read');
  });
});

describe('unit chains and downstream sets', () => {
  const layers: LayerSpec[] = [
    conv({ name: 'a' }), // 0
    { kind: 'batchnorm' }, // 1: extends conv 0
    { kind: 'activation', fn: 'relu', name: 'r' }, // 2: extends, read twice
    conv(), // 3
    { kind: 'batchnorm', name: 'main' }, // 4: extends conv 3, then the add stops the run
    { kind: 'add', inputs: ['main', 'r'] }, // 5
    { kind: 'activation', fn: 'softmax' }, // 6: softmax mixes channels
    { kind: 'globalAvgPool' }, // 7
    { kind: 'dense', units: 3, activation: 'linear' }, // 8
  ];
  const g = resolveGraph({ layers });

  it('run over single-reader per-channel layers and stop at an add, a softmax, or a shared output', () => {
    expect(unitChain(g, layers, 0)).toEqual([1, 2]);
    expect(unitChain(g, layers, 3)).toEqual([4]);
    expect(unitChain(g, layers, 8)).toEqual([]);
    const shared: LayerSpec[] = [conv(), { kind: 'batchnorm', name: 'b' }, { kind: 'activation', fn: 'relu', name: 'r' }, { kind: 'add', inputs: ['b', 'r'] }, { kind: 'globalAvgPool' }, { kind: 'dense', units: 3, activation: 'linear' }];
    // The batch norm's output is read by the relu and the add: it ends the run, the relu is not the unit's.
    expect(unitChain(resolveGraph({ layers: shared }), shared, 0)).toEqual([1]);
  });

  it('downstream of a layer: everything that reads it, through any path', () => {
    expect(downstreamOf(g, 4).flatMap((d, i) => (d ? [i] : []))).toEqual([5, 6, 7, 8]);
    expect(downstreamOf(g, 2).flatMap((d, i) => (d ? [i] : []))).toEqual([3, 4, 5, 6, 7, 8]);
  });
});

describe('layer names', () => {
  it('count each kind in layer order, whatever the wiring labels', () => {
    const layers: LayerSpec[] = [
      conv({ name: 'conv9' }),
      { kind: 'batchnorm' },
      { kind: 'depthwiseConv2d', kernel: 3, stride: 1, padding: 'same', activation: 'relu' },
      { kind: 'globalAvgPool' },
      { kind: 'dense', units: 3, activation: 'linear' },
    ];
    expect(layerNames({ layers })).toEqual(['conv1', 'bn1', 'dwconv1', undefined, 'dense1']);
    expect(paramLayerNames({ layers })).toEqual(['conv1', 'dwconv1', 'dense1']);
  });
});
