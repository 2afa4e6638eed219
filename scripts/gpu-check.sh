#!/usr/bin/env bash
# GPU-lane check: trains LeNet-5 once on the GPU lane and once on one CPU
# lane (same sweep, same data) and prints samples/s for each, with what was
# detected (driver, device, backend). Run after `npm install` on a GPU node;
# @tensorflow/tfjs-node-gpu needs CUDA and cuDNN matching libtensorflow 2.x.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "== detection"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
else
  echo "nvidia-smi: not found"
fi
node -e "try{require.resolve('@tensorflow/tfjs-node-gpu/package.json');console.log('@tensorflow/tfjs-node-gpu: installed')}catch{console.log('@tensorflow/tfjs-node-gpu: not installed (npm skipped it: its install downloads libtensorflow)')}"

tmp=$(mktemp -d)
measure() { # lane jobs
  local lane=$1 jobs=$2 out="$tmp/$1"
  if ! node packages/cli/dist/bin.js run experiments/checks/gpu-lane.yaml --set lane="$lane" -j "$jobs" --results "$out" >"$tmp/$lane.log" 2>&1; then
    echo "$lane lane: not available ($(grep -m1 -E 'error|GPU|lane' "$tmp/$lane.log"))"
    return
  fi
  node -e "
    const Database = require('better-sqlite3');
    const db = new Database('$out/prunelab.sqlite', { readonly: true });
    const d = db.prepare('select steps, wall_ms, backend, accuracy from dense_models').get();
    const env = JSON.parse(db.prepare('select env_json from runs limit 1').get().env_json);
    console.log('$lane lane: ' + (d.steps * 64 / d.wall_ms * 1000).toFixed(1) + ' samples/s training LeNet-5 (backend ' + d.backend + ', ' + (env.backend && env.backend.package) + ', gpu=' + (env.backend && env.backend.gpu) + '), test accuracy ' + d.accuracy.toFixed(4));
  "
}
echo "== LeNet-5 (caffe), MNIST 6,400 examples, batch 64, 1 epoch"
measure gpu 1
measure cpu 1
rm -rf "$tmp"
