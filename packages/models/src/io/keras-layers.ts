import { FIXED_ACTIVATIONS, type FixedActivation } from '../ops/fixed.js';
import { modelError } from './model-error.js';
import type { KerasLayer } from './keras-topology.js';

/**
 * What the importers (keras-import.ts for Sequential models,
 * functional-import.ts for functional ones) read the same way from a Keras
 * layer config.
 */

/** Layers that are the identity at inference: carried along as such. */
export const IDENTITY_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization']);

/** "layers[3] name": where an unsupported layer sits in the file's config.layers, for the one error that lists them all. */
export function layerAt(index: number, name: string): string {
  return `layers[${index}] ${name}`;
}

/** The activation a Dense, Conv2D or Activation config names, or undefined (recorded as unsupported). */
export function activationName(value: unknown, layer: string, unsupported: string[]): FixedActivation | undefined {
  const name = value === undefined || value === null ? 'linear' : typeof value === 'string' ? value : (value as { config?: { name?: string } }).config?.name;
  if (typeof name === 'string' && (FIXED_ACTIVATIONS as readonly string[]).includes(name)) return name as FixedActivation;
  unsupported.push(`${layer} (activation ${JSON.stringify(value)})`);
  return undefined;
}

/** A ReLU layer as an activation: plain or capped at 6; a slope, threshold or other cap is unsupported. */
export function reluFn(c: Record<string, unknown>): FixedActivation | undefined {
  const max = c['max_value'] as number | null | undefined;
  const slope = (c['negative_slope'] as number | undefined) ?? 0;
  const threshold = (c['threshold'] as number | undefined) ?? 0;
  if (slope !== 0 || threshold !== 0 || (max != null && max !== 6)) return undefined;
  return max === 6 ? 'relu6' : 'relu';
}

/** The per-example input shape a layer declares (batch_input_shape, Keras 3's batch_shape, or tfjs' batchInputShape). */
export function declaredInputShape(layer: KerasLayer | undefined, source: string, what: string): number[] {
  const batchShape = layer && ((layer.config['batch_input_shape'] ?? layer.config['batch_shape'] ?? layer.config['batchInputShape']) as Array<number | null> | undefined);
  if (!Array.isArray(batchShape)) {
    throw modelError(`${source}: ${what} has no batch_input_shape, so the input shape is unknown`, 'Give the first layer an input shape (input_shape= in Keras, inputShape in tfjs) and convert again');
  }
  return batchShape.slice(1).map((d) => {
    if (!Number.isSafeInteger(d) || (d as number) < 1) {
      throw modelError(`${source}: input shape [${batchShape.join(', ')}] has an unknown or invalid dimension`, 'Give every input dimension but the batch a fixed size');
    }
    return d as number;
  });
}

/** Why a Conv2D or DepthwiseConv2D config is outside what prunelab's square, undilated, channels-last convs compute (empty: it fits). */
export function convProblems(c: Record<string, unknown>, shape: readonly number[]): string[] {
  const k = c['kernel_size'] as number[];
  const s = c['strides'] as number[];
  const d = (c['dilation_rate'] as number[] | undefined) ?? [1, 1];
  return [
    shape.length !== 3 && `rank-${shape.length} input`,
    k[0] !== k[1] && `non-square kernel ${k.join('x')}`,
    s[0] !== s[1] && `unequal strides ${s.join('x')}`,
    (d[0] !== 1 || d[1] !== 1) && `dilation ${d.join('x')}`,
    c['data_format'] === 'channels_first' && 'channels_first',
    ((c['groups'] as number | undefined) ?? 1) !== 1 && 'grouped',
  ].filter((p): p is string => typeof p === 'string');
}
