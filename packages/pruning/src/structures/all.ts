import './unstructured.js';
import './nm.js';
import './block.js';
import './unit.js';

export { structureRegistry } from './registry.js';
export type { StructureEntry } from './registry.js';
