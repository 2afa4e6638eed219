import { log, PrunelabError } from '@prunelab/core';
import { NATIVE_FIX, nativeStatus } from '@prunelab/engine';
import { createCpuLane, defaultJobs } from '../lanes/cpu-lane.js';
import { detectGpuLane } from '../lanes/gpu-lane.js';
import type { Lane } from '../lanes/types.js';
import type { SweepPlan } from './plan.js';

export interface LaneOptions {
  readonly jobs?: number;
  /** Lanes to use instead of the detected ones (tests inject stand-ins); the caller closes them. */
  readonly lanes?: readonly Lane[];
  /** Set false to skip GPU detection (default: detect). */
  readonly gpu?: boolean;
}

/**
 * The lanes of this machine (a CPU lane, and a GPU lane when one is
 * detected), or the injected ones. A run pinned to a lane the machine does
 * not have is the user's error, refused before anything is written.
 */
export async function openLanes(plan: SweepPlan, options: LaneOptions): Promise<readonly Lane[]> {
  const lanes = options.lanes ?? [createCpuLane(options.jobs ?? defaultJobs()), ...(options.gpu === false ? [] : await detectGpuLane())];
  const laneNames = new Set(lanes.map((l) => l.name));
  for (const r of plan.runs) {
    if (r.config.lane !== 'auto' && !laneNames.has(r.config.lane)) {
      if (!options.lanes) await Promise.all(lanes.map((l) => l.close()));
      throw new PrunelabError('E_CONFIG_INVALID', `runs are pinned to the ${r.config.lane} lane, which this machine does not have`, {
        file: plan.sweep.file,
        path: 'lane',
        value: r.config.lane,
        fix: `Available lanes: ${[...laneNames].join(', ')}; use lane: auto`,
      });
    }
  }
  if (!options.lanes) sayWhyNativeIsOff(plan);
  return lanes;
}

/** Said once, at start, by the main thread: the workers fall back to wasm on their own, silently. */
function sayWhyNativeIsOff(plan: SweepPlan): void {
  if (!plan.runs.some((r) => r.config.backend === 'auto' || r.config.backend === 'native')) return;
  const native = nativeStatus();
  if (!native.available) log.info(`native kernels are off (${native.reason}); running on wasm. To turn them on: ${NATIVE_FIX}`);
}
