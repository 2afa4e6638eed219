import { oneShotSchedule } from './one-shot.js';
import './iterative.js';
import './gradual.js';
import './admm.js';

export { scheduleRegistry } from './registry.js';
export type { ScheduleEntry, PlannedTraining } from './registry.js';

/** The schedule of a run that names none: prune once to each target (Han et al. 2015). */
export const DEFAULT_SCHEDULE = oneShotSchedule.name;
