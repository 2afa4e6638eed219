import { PrunelabError } from '@prunelab/core';

/** Convnets of the zoo need [h, w, channels] examples: anything else is the user's choice of dataset, a user error. */
export function imageInput(model: string, inputShape: readonly number[], minSide = 1): void {
  if (inputShape.length !== 3 || inputShape[0]! < minSide || inputShape[1]! < minSide) {
    throw new PrunelabError('E_CONFIG_INVALID', `${model} needs images of at least ${minSide}x${minSide} pixels, shaped [h, w, channels]; the dataset's examples are [${inputShape.join(', ')}]`, {
      path: 'model',
      fix: 'Use an image dataset (e.g. cifar10), or an mlp for flat data',
    });
  }
}
