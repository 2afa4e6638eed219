import './one-shot.js';

export { scheduleRegistry } from './registry.js';
export type { ScheduleEntry } from './registry.js';
