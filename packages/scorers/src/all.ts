import './magnitude.js';
import './random.js';

export { scorerRegistry } from './registry.js';
