export { main } from './main.js';
export { commands, helpText } from './commands/index.js';
export { sweepJsonSchema } from './commands/schema.js';
