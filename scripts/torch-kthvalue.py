#!/usr/bin/python3
"""The PyTorch side of the projection benchmark (packages/projection/src/bench):
torch.kthvalue on one thread, the reference the global top-k is compared with,
and the trained network whose scores it ranks. Needs Debian's python3-torch
(CPU) and numpy; never a dependency. Run with OPENBLAS_NUM_THREADS=1 (the bench
sets it): torch.set_num_threads(1) does not limit OpenBLAS's own threads.

    scripts/torch-kthvalue.py
        torch.kthvalue and torch.topk over 25M uniform float32 values, median of 5.
    scripts/torch-kthvalue.py serve
        Answers one command per stdin line, one JSON line each, so that the bench
        can alternate its own timed calls with torch's on the same data:
          version       {"torch": its version}
          load PATH N   read N float32 values (native byte order) from PATH
          kth K         time one torch.kthvalue(x, K): {"ms", "cpuMs", "value"}
          quit
    scripts/torch-kthvalue.py lenet300 MNIST_DIR OUT
        Trains LeNet-300-100 (784-300-100-10, ReLU, torch's default init) for one
        epoch on the 60,000 MNIST training images (pixels / 255, batch 60, Adam
        lr 1e-3, seed 0, one thread, the data in file order) and writes the kernel
        magnitudes |W| to OUT as float32, layer by layer, each in tfjs's [in, out]
        row-major layout. Prints {"shapes", "testAccuracy", "seconds"}.
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)


def reference():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(24998400, generator=g)
    k = round(0.9 * x.numel())
    ts = []
    for _ in range(5):
        t = time.perf_counter(); torch.kthvalue(x, k); ts.append(time.perf_counter() - t)
    ts.sort(); print('kthvalue 1 thread median %.1f ms best %.1f ms' % (ts[2] * 1e3, ts[0] * 1e3))
    ts = []
    for _ in range(5):
        t = time.perf_counter(); torch.topk(x, x.numel() - k, sorted=False); ts.append(time.perf_counter() - t)
    ts.sort(); print('topk 1 thread median %.1f ms best %.1f ms' % (ts[2] * 1e3, ts[0] * 1e3))


def serve():
    x = None
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == 'quit':
            break
        if cmd[0] == 'version':
            reply = {'torch': torch.__version__}
        elif cmd[0] == 'load':
            x = None  # free the previous input before reading the next
            x = torch.from_numpy(np.fromfile(cmd[1], dtype=np.float32, count=int(cmd[2])))
            reply = {'n': x.numel()}
        elif cmd[0] == 'kth':
            c = time.process_time()
            t = time.perf_counter()
            v = torch.kthvalue(x, int(cmd[1])).values
            t = time.perf_counter() - t
            reply = {'ms': t * 1e3, 'cpuMs': (time.process_time() - c) * 1e3, 'value': float(v)}
        else:
            reply = {'error': 'unknown command ' + cmd[0]}
        print(json.dumps(reply), flush=True)


def idx(path):
    """An IDX file (LeCun et al. 1998), plain or gzipped."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(d, name):
    for f in (name, name + '.gz'):
        if os.path.exists(os.path.join(d, f)):
            return os.path.join(d, f)
    raise SystemExit('no %s(.gz) in %s' % (name, d))


def lenet300(mnist_dir, out):
    t0 = time.perf_counter()
    torch.manual_seed(0)
    x = torch.from_numpy(idx(find(mnist_dir, 'train-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(find(mnist_dir, 'train-labels-idx1-ubyte')).astype(np.int64))
    xt = torch.from_numpy(idx(find(mnist_dir, 't10k-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) / 255)
    yt = torch.from_numpy(idx(find(mnist_dir, 't10k-labels-idx1-ubyte')).astype(np.int64))
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for i in range(0, x.shape[0], 60):
        opt.zero_grad()
        loss_fn(model(x[i:i + 60]), y[i:i + 60]).backward()
        opt.step()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    kernels = [m.weight.detach().t().contiguous().abs().numpy() for m in model if isinstance(m, nn.Linear)]
    with open(out, 'wb') as f:
        for w in kernels:
            f.write(w.astype(np.float32).tobytes())
    print(json.dumps({'shapes': [list(w.shape) for w in kernels], 'testAccuracy': acc, 'seconds': time.perf_counter() - t0}))


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'serve':
        serve()
    elif len(sys.argv) > 1 and sys.argv[1] == 'lenet300':
        lenet300(sys.argv[2], sys.argv[3])
    else:
        reference()
