import './one-shot.js';
import './iterative.js';
import './gradual.js';
import './admm.js';

export { scheduleRegistry } from './registry.js';
export type { ScheduleEntry } from './registry.js';
