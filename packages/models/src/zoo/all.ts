// Importing an entry's file registers it; this file is the zoo's one door.
import './mlp.js';
import './lenet5.js';
import './conv-small.js';
import './resnet.js';
import './vgg.js';
import './tfjs.js';

export { modelRegistry } from './registry.js';
export type { ModelEntry, ArchitectureFactory } from './registry.js';
