import type { z } from 'zod';
import { Registry, type RegistryEntry } from '@prunelab/core';
import type { Schedule } from './types.js';

export interface ScheduleEntry extends RegistryEntry<z.ZodType, Schedule> {
  readonly reference: string;
  /**
   * Options that stay in a run's canonical config, and so in its id, even at
   * their default. For an option added together with a new default behaviour:
   * configs that never named it then get new ids instead of reusing results
   * computed the old way (ADMM's `budget`).
   */
  readonly identityKeys?: readonly string[];
}

export const scheduleRegistry = new Registry<ScheduleEntry>('schedule');
