#!/usr/bin/python3
"""Reference training throughput in PyTorch (CPU, single-threaded) for the
same LeNet-300-100, LeNet-5 (caffe) and ResNet-20 training step prunelab
benchmarks: batch 60, Adam, softmax cross-entropy, random 28x28x1 (32x32x3 for
ResNet-20) inputs (throughput does not depend on the values). Debian's
python3-torch; never a dependency.

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


class Block(nn.Module):
    """He et al. 2016's CIFAR basic block, option A: a stride-2 block's shortcut
    subsamples and zero-pads the channels (as prunelab's resnet zoo entry)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        s = x
        if self.stride != 1 or self.pad:
            s = x[:, :, ::self.stride, ::self.stride]
            s = nn.functional.pad(s, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return torch.relu(y + s)


def resnet20():
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in [(16, 1), (32, 2), (64, 2)]:
        for i in range(3):
            layers.append(Block(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


# Multiply-accumulates per example of the weighted layers, as the bench counts them (kernel size x output pixels).
MACS = {"lenet-300-100": 266200, "lenet-5": 2293000, "resnet-20": None}
INPUT = {"lenet-300-100": (1, 28, 28), "lenet-5": (1, 28, 28), "resnet-20": (3, 32, 32)}


def weighted_macs(model, shape):
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            total += module.weight.numel() * output.shape[2] * output.shape[3]
        elif isinstance(module, nn.Linear):
            total += module.weight.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model(torch.rand(1, *shape))
    for h in handles:
        h.remove()
    return total


rows = []
for name, build, steps in [("lenet-300-100", lenet300, 300), ("lenet-5", lenet5, 40), ("resnet-20", resnet20, 10)]:
    model = build()
    if MACS[name] is None:
        MACS[name] = weighted_macs(model, INPUT[name])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(60, *INPUT[name])
    y = torch.randint(0, 10, (60,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3 if name == "resnet-20" else 10):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t
    sps = steps * 60 / dt
    rows.append({"model": name, "backend": "pytorch-cpu-1-thread", "torch": torch.__version__, "batch": 60,
                 "samplesPerS": sps, "gflops": sps * 6 * MACS[name] / 1e9})
print(json.dumps(rows, indent=2))
