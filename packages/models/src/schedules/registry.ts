import type { z } from 'zod';
import { Registry, type RegistryEntry } from '@prunelab/core';
import type { Schedule } from './types.js';

export interface ScheduleEntry extends RegistryEntry<z.ZodType, Schedule> {
  readonly reference: string;
}

export const scheduleRegistry = new Registry<ScheduleEntry>('schedule');
