"""The plain-PyTorch reference of bench/engines-throughput.ts: the same three models written the
standard way (nn.Linear, nn.Conv2d, an efficient-kan-style KANLinear), trained on the same rows
with the same batch size, float32, Adam, cross-entropy — one unmeasured epoch, then one measured
epoch. Prints one JSON line: samples per second (wall and per CPU-second) and each epoch's mean
loss.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/plain_torch.py --model mlp|cnn|kan \\
        --x X.f32 --y Y.i32 --rows N [--batch 128] [--threads N]

X.f32: the rows' inputs, float32 little-endian, row-major [rows, 784] (an image row is 28×28×1,
the same bytes as 1×28×28). Y.i32: each row's class, int32. --threads: torch.set_num_threads
(default: torch's own choice, as in the torch engine's child); set OPENBLAS_NUM_THREADS in the
environment as the child's is set, before Python starts (Debian's OpenBLAS sizes its pool at load).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class KANLinear(nn.Module):
    """A B-spline KAN layer as efficient-kan writes it: y = silu(x) @ base_weight^T +
    B(x) @ (spline_weight * spline_scaler)^T, B the order-3 B-splines on a uniform grid."""

    def __init__(self, in_features: int, out_features: int, grid_size: int = 5, spline_order: int = 3,
                 grid_range: Tuple[float, float] = (-1.0, 1.0)) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.grid_size = grid_size
        self.spline_order = spline_order
        h = (grid_range[1] - grid_range[0]) / grid_size
        grid = torch.arange(-spline_order, grid_size + spline_order + 1, dtype=torch.float32) * h + grid_range[0]
        self.register_buffer("grid", grid.expand(in_features, -1).contiguous())
        self.base_weight = nn.Parameter(torch.empty(out_features, in_features))
        self.spline_weight = nn.Parameter(torch.empty(out_features, in_features, grid_size + spline_order))
        self.spline_scaler = nn.Parameter(torch.empty(out_features, in_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.base_weight, a=math.sqrt(5))
        nn.init.uniform_(self.spline_weight, -0.1 / self.grid_size, 0.1 / self.grid_size)
        nn.init.kaiming_uniform_(self.spline_scaler, a=math.sqrt(5))

    def b_splines(self, x: torch.Tensor) -> torch.Tensor:
        grid = self.grid
        x = x.unsqueeze(-1)
        bases = ((x >= grid[:, :-1]) & (x < grid[:, 1:])).to(x.dtype)
        for k in range(1, self.spline_order + 1):
            bases = ((x - grid[:, : -(k + 1)]) / (grid[:, k:-1] - grid[:, : -(k + 1)]) * bases[:, :, :-1]) + (
                (grid[:, k + 1:] - x) / (grid[:, k + 1:] - grid[:, 1:(-k)]) * bases[:, :, 1:]
            )
        return bases  # [batch, in, grid_size + spline_order]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.linear(F.silu(x), self.base_weight)
        scaled = (self.spline_weight * self.spline_scaler.unsqueeze(-1)).view(self.out_features, -1)
        spline = F.linear(self.b_splines(x).view(x.size(0), -1), scaled)
        return base + spline


def model_of(name: str) -> nn.Module:
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )
    if name == "kan":
        return nn.Sequential(KANLinear(784, 64), KANLinear(64, 10))
    raise SystemExit(f"--model: mlp, cnn or kan, got {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--x", required=True)
    parser.add_argument("--y", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(np.fromfile(args.x, dtype="<f4").reshape(args.rows, 784))
    if args.model == "cnn":
        x = x.view(args.rows, 1, 28, 28)
    y = torch.from_numpy(np.fromfile(args.y, dtype="<i4").astype(np.int64))
    model = model_of(args.model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses: List[float] = []
    wall: List[float] = []
    cpu: List[float] = []
    for _ in range(2):  # one unmeasured epoch, one measured
        wall.append(time.perf_counter())
        cpu.append(time.process_time())
        order = torch.randperm(args.rows)
        total = 0.0
        batches = 0
        for start in range(0, args.rows, args.batch):
            rows = order[start:start + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    wall.append(time.perf_counter())
    cpu.append(time.process_time())
    print(json.dumps({
        "samplesPerSecond": args.rows / (wall[2] - wall[1]),
        "samplesPerCpuSecond": args.rows / (cpu[2] - cpu[1]),
        "losses": losses,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
