import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf, type BackendInfo } from '@prunelab/engine';
import {
  Net,
  deserializeWeights,
  encodeArtifact,
  evaluate,
  getWeights,
  modelRegistry,
  serializeWeights,
  setWeights,
  train,
  type NamedArray,
} from '@prunelab/models';
import { scheduleRegistry, captureWeightsAt, keepOutputUnits, TrainingRecorder, type ScheduleContext } from '@prunelab/pruning';
import { robustAccuracy, scorerRegistry } from '@prunelab/scorers';
import type { RunConfig } from '../config/schema.js';
import { ArtifactKeeper } from './artifacts.js';
import {
  CANCELLED,
  LANE_BROKEN,
  type DenseResult,
  type DenseTask,
  type PortMessage,
  type PruneTask,
  type RunResult,
  type WorkerResult,
  type WorkerTask,
} from './messages.js';

/**
 * Worker-thread entry point (piscina calls it by name). One backend per
 * thread, initialised on the first task. Every task checks that it leaves
 * tf.memory().numTensors where it found it.
 */
export async function runTask(task: WorkerTask): Promise<WorkerResult> {
  return task.kind === 'dense' ? trainDense(task) : runPrune(task);
}

/**
 * The backend for a task: the lane's (a GPU lane forces its GPU backend) or the
 * config's. A GPU lane whose backend cannot start, or starts without a GPU, is
 * broken: its runs go back to the queue for the other lanes.
 */
async function backendFor(task: WorkerTask): Promise<BackendInfo> {
  const info = task.laneInfo;
  if (info?.lane !== 'gpu') return initBackend(task.config.backend);
  try {
    const b = await initBackend(info.backend ?? 'tensorflow');
    if (b.name === 'tensorflow' && !b.gpu) throw new Error('TensorFlow found no CUDA device');
    return b;
  } catch (e) {
    throw new Error(LANE_BROKEN, { cause: e });
  }
}

/** Writes to a temporary name and renames, so a crash never leaves half a file in the cache. */
function writeAtomically(file: string, data: Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * The config's plug-in options were parsed by the config schema at load time
 * (and arrive here as plain data), so the worker builds each plug-in from its
 * entry directly: one validation, one message format.
 */
function buildNet(config: RunConfig, ds: LoadedDataset): Net {
  const { name, ...options } = config.model;
  const factory = modelRegistry.get(name).create(options);
  return new Net(factory(ds.shape, ds.classes), config.seed);
}

function cancelled(flag: Int32Array): void {
  if (Atomics.load(flag, 0) !== 0) throw new Error(CANCELLED);
}

async function trainDense(task: DenseTask): Promise<DenseResult> {
  const backend = await backendFor(task);
  const before = tf.memory().numTensors;
  const net = buildNet(task.config, task.dataset);
  let result: DenseResult;
  try {
    const cfg = task.config.train;
    let steps = 0;
    let wallMs = 0;
    if (cfg === 'none') {
      // The model's own weights are the dense model: nothing is trained, its accuracy is measured below.
      // The loader refuses a rewind past step 0 here; step 0 is these weights.
      for (const r of task.rewind) writeAtomically(r.file, serializeWeights(getWeights(net)));
    } else {
      const capture = captureWeightsAt(
        net,
        task.rewind.map((r) => r.step),
      );
      const res = train(net, task.dataset, cfg, {
        seed: task.config.seed,
        onStep: (step) => {
          capture.onStep(step);
          return Atomics.load(task.cancel, 0) !== 0;
        },
      });
      cancelled(task.cancel);
      for (const r of task.rewind) {
        const w = capture.weights.get(r.step);
        if (!w) throw new Error(`rewind step ${r.step} is beyond dense training's ${res.steps} steps`);
        writeAtomically(r.file, serializeWeights(w));
      }
      steps = res.steps;
      wallMs = res.wallMs;
    }
    const ev = evaluate(net, task.dataset, 'test');
    if (!Number.isFinite(ev.loss)) throw new Error(`dense training diverged: test loss is ${ev.loss}`);
    writeAtomically(task.file, serializeWeights(getWeights(net)));
    result = { kind: 'dense', backend, accuracy: ev.accuracy, loss: ev.loss, steps, wallMs };
  } finally {
    net.dispose();
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`dense training leaked ${leaked} tensors`);
  return result;
}

async function runPrune(task: PruneTask): Promise<RunResult> {
  const start = performance.now();
  const { config, dataset: ds, port } = task;
  const backend = await backendFor(task);
  cancelled(task.cancel);
  const post = (m: PortMessage) => port.postMessage(m);
  const artifacts = new ArtifactKeeper(config.artifacts, (m) => port.postMessage(m, [m.data.buffer]));
  post({ type: 'started', backend });
  const before = tf.memory().numTensors;
  const net = buildNet(config, ds);
  let scoreMs = 0;
  const training = new TrainingRecorder();
  try {
    const initialWeights = getWeights(net);
    const denseWeights = deserializeWeights(readFileSync(task.denseFile));
    setWeights(net, denseWeights);
    const { name: scorerName, ...scorerOptions } = config.scorer;
    const scorer = scorerRegistry.get(scorerName).create(scorerOptions);
    const { name: scheduleName, ...scheduleOptions } = config.schedule;
    const schedule = scheduleRegistry.get(scheduleName).create(scheduleOptions);
    const { sparsities, ...spec } = config.prune;
    const finetunes = config.finetune.epochs > 0;
    const rewindWeights = new Map<number, readonly NamedArray[]>(task.rewind.map((r) => [r.step, deserializeWeights(readFileSync(r.file))]));
    const ctx: ScheduleContext = {
      net,
      ds,
      initialWeights,
      denseWeights,
      ...(rewindWeights.size > 0 && { rewindWeights }),
      targets: sparsities,
      // Unit structures never remove class logits (see keepOutputUnits).
      prune: keepOutputUnits(net, spec),
      finetune: config.finetune,
      seed: config.seed,
      score: async (n) => {
        const t = performance.now();
        const s = await scorer.score({ net: n, ds, seed: config.seed, initialWeights });
        scoreMs += performance.now() - t;
        return s;
      },
      evaluate: async (n) => {
        const clean = evaluate(n, ds, 'test');
        return config.robust ? { ...clean, robustAccuracy: robustAccuracy(n, ds, 'test', config.robust) } : clean;
      },
      emit: (point) => {
        if (!Number.isFinite(point.loss)) throw new Error(`loss is ${point.loss} at step ${point.step} (${point.phase})`);
        const onCurve = point.phase === 'dense' || point.phase === 'finetuned' || (point.phase === 'pruned' && !finetunes);
        post({ type: 'point', point: { ...point, onCurve } });
        artifacts.point({ ...point, onCurve }, () => encodeArtifact({ inputShape: ds.shape, classes: ds.classes, weights: getWeights(net) }));
      },
      checkCancelled: () => cancelled(task.cancel),
      recordTraining: (phase, done) => training.record(phase, done),
    };
    await schedule.run(ctx);
    artifacts.end();
    post({ type: 'end' });
  } finally {
    net.dispose();
    port.close();
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`run leaked ${leaked} tensors`);
  return { kind: 'run', backend, scoreMs, wallMs: performance.now() - start, training: training.ledger() };
}
