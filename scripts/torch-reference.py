#!/usr/bin/python3
"""Reference training throughput in PyTorch (CPU, single-threaded) for the
same LeNet-300-100 and LeNet-5 (caffe) training step prunelab benchmarks:
batch 60, Adam, softmax cross-entropy, random 28x28 inputs (throughput does
not depend on the values). Debian's python3-torch; never a dependency.

    python3 scripts/torch-reference.py   # prints JSON, one row per model
"""
import json
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)


def lenet300():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10),
    )


MACS = {"lenet-300-100": 266200, "lenet-5": 2293000}
rows = []
for name, build, steps in [("lenet-300-100", lenet300, 300), ("lenet-5", lenet5, 40)]:
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(60, 1, 28, 28)
    y = torch.randint(0, 10, (60,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(10):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t
    sps = steps * 60 / dt
    rows.append({"model": name, "backend": "pytorch-cpu-1-thread", "torch": torch.__version__, "batch": 60,
                 "samplesPerS": sps, "gflops": sps * 6 * MACS[name] / 1e9})
print(json.dumps(rows, indent=2))
