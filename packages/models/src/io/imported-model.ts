import type { Architecture } from '../architecture.js';

/** A user's tfjs LayersModel as prunelab imported it (keras-import.ts, functional-import.ts). */
export interface ImportedModel {
  readonly arch: Architecture;
  /** Keras layer name -> our prunable layer name (dense1, conv1, dwconv1, ...). */
  readonly layerNames: Readonly<Record<string, string>>;
  /**
   * Keras layer name -> our batch norm (bn1, ...), for a functional model's
   * BatchNormalization layers, which become batch norms that train and lose
   * channels with their conv. A Sequential model's are folded into fixed
   * affine maps instead, and are not listed here.
   */
  readonly norms: Readonly<Record<string, string>>;
  /** Layers computed but never pruned, as "name (ClassName)". */
  readonly skipped: readonly string[];
  /**
   * What the original model returns: 'softmax' when the import dropped its
   * final softmax (the Net returns the logits), 'logits' otherwise. An export
   * writes the original layers back, so its predictions are this function of
   * the Net's logits.
   */
  readonly output: 'logits' | 'softmax';
  /** The input shape the model.json declares (arch.inputShape is the dataset's, when the import flattens it onto this one). */
  readonly inputShape: readonly number[];
}

/** What the dataset needs of an imported model: its input shape (one example) and its class count. */
export interface ImportExpectation {
  readonly inputShape: readonly number[];
  readonly classes: number;
}
