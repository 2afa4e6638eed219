import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeCuda } from './gpu-lane.js';

// A GPU lane needs TensorFlow to see a CUDA device, not just the npm package:
// offline, @tensorflow/tfjs-node-gpu can be on disk without its binding, and
// the lane then broke at its first task after saying "GPU lane: CUDA".
const dir = mkdtempSync(join(tmpdir(), 'prunelab-cuda-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fake = (name: string, body: string) => {
  const file = join(dir, name);
  writeFileSync(file, body);
  return pathToFileURL(file).href;
};

describe('probeCuda', () => {
  it('is no GPU when the package does not load (no native binding)', () => {
    const r = probeCuda(fake('broken.mjs', "throw new Error('Cannot find module lib/napi-v8/tfjs_binding.node');\n"));
    expect(r.gpu).toBe(false);
    expect(r.reason).toContain('does not load');
    expect(r.reason).toContain('tfjs_binding.node');
  });

  it('is no GPU when TensorFlow loads but sees no CUDA device', () => {
    const r = probeCuda(fake('cpu.mjs', 'export default { setBackend: async () => true, backend: () => ({ isUsingGpuDevice: false }) };\n'));
    expect(r).toEqual({ gpu: false, reason: 'TensorFlow sees no CUDA device' });
  });

  it('is a GPU when TensorFlow places ops on one', () => {
    const r = probeCuda(fake('gpu.mjs', 'export default { setBackend: async () => true, backend: () => ({ isUsingGpuDevice: true }) };\n'));
    expect(r.gpu).toBe(true);
  });
});
