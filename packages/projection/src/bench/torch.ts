/**
 * The PyTorch reference of the projection benchmark: scripts/torch-kthvalue.py
 * in its `serve` mode, one long-lived process, so that the benchmark can time
 * torch.kthvalue and project() alternately on the same scores. On this shared
 * machine the speed drifts by about ±20% within minutes; alternating calls see
 * the same drift, so their ratio holds where absolute times do not.
 *
 * Python is Debian's /usr/bin/python3 (python3-torch), or PRUNELAB_PYTHON.
 * OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1): one core, as project().
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface TorchReference {
  /** torch's version string. */
  version: string;
  /** Loads n float32 values from a file (native byte order). */
  load: (path: string, n: number) => Promise<void>;
  /** One timed torch.kthvalue(x, k) (the k-th smallest) on the loaded values: wall and CPU time. */
  kth: (k: number) => Promise<{ ms: number; cpuMs: number; value: number }>;
  close: () => void;
}

/** The python the torch scripts run with. */
export function pythonPath(): string {
  return process.env['PRUNELAB_PYTHON'] ?? '/usr/bin/python3';
}

/** Environment for a one-core torch process. */
export function oneThreadEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
}

/** Starts the reference, or says why it cannot run (no python, no torch, no numpy). */
export async function startTorch(script: string): Promise<TorchReference | { error: string }> {
  const child = spawn(pythonPath(), [script, 'serve'], { env: oneThreadEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | null = null;
  const fail = (e: Error): void => {
    failed = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  child.on('error', (e) => fail(e));
  child.on('exit', (code) => fail(new Error(`${pythonPath()} ${script} serve exited (${code}): ${stderr.trim().split('\n').pop() ?? ''}`)));
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(line));
  const ask = (cmd: string): Promise<Record<string, unknown>> =>
    new Promise<string>((resolve, reject) => {
      if (failed !== null) return reject(failed);
      waiting.push({ resolve, reject });
      child.stdin.write(`${cmd}\n`);
    }).then((line) => {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r['error'] === 'string') throw new Error(r['error']);
      return r;
    });
  let version: string;
  try {
    version = String((await ask('version'))['torch']);
  } catch (e) {
    child.kill();
    return { error: e instanceof Error ? e.message : String(e) };
  }
  return {
    version,
    load: async (path, n) => {
      await ask(`load ${path} ${n}`);
    },
    kth: async (k) => {
      const r = await ask(`kth ${k}`);
      return { ms: Number(r['ms']), cpuMs: Number(r['cpuMs']), value: Number(r['value']) };
    },
    close: () => {
      child.removeAllListeners('exit');
      child.stdin.end('quit\n');
    },
  };
}
