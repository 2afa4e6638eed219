#!/usr/bin/python3
"""torch.kthvalue and torch.topk over 25M uniform float32 values on one thread: the
reference point for the projection benchmark (docs/performance.md). Needs Debian's
python3-torch (CPU); never a dependency. Run: scripts/torch-kthvalue.py"""
import time, torch
torch.set_num_threads(1)
g = torch.Generator().manual_seed(0)
x = torch.rand(24998400, generator=g)
k = round(0.9 * x.numel())
ts = []
for _ in range(5):
    t = time.perf_counter(); v = torch.kthvalue(x, k).values; ts.append(time.perf_counter() - t)
ts.sort(); print('kthvalue 1 thread median %.1f ms best %.1f ms' % (ts[2]*1e3, ts[0]*1e3))
ts = []
for _ in range(5):
    t = time.perf_counter(); v = torch.topk(x, x.numel() - k, sorted=False); ts.append(time.perf_counter() - t)
ts.sort(); print('topk 1 thread median %.1f ms best %.1f ms' % (ts[2]*1e3, ts[0]*1e3))
