import './magnitude.js';
import './random.js';
import './l1-regularized.js';
import './adversarial-taylor.js';
import './noise-sensitivity.js';
import './fisher.js';
import './entropy.js';
import './mutual-information.js';
import './apoz.js';
import './snip.js';
import './taylor.js';
import './obd.js';

export { scorerRegistry } from './registry.js';
