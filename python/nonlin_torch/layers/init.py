"""Weight initialisers by the names of src/nn/init.ts, for a layer's ``reset_parameters`` (a trial
loads the jax engine's initial arrays instead, so these draw from torch's generator)."""

from __future__ import annotations

import math

import torch

WEIGHT_INITS = ("lecun_normal", "he_normal", "glorot_uniform", "glorot_normal", "torch_uniform", "zeros")


def init_weight_(w: torch.Tensor, scheme: str, fan_in: int, fan_out: int) -> None:
    with torch.no_grad():
        if scheme == "lecun_normal":
            w.normal_(0.0, math.sqrt(1.0 / fan_in))
        elif scheme == "he_normal":
            w.normal_(0.0, math.sqrt(2.0 / fan_in))
        elif scheme == "glorot_uniform":
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w.uniform_(-limit, limit)
        elif scheme == "glorot_normal":
            w.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)))
        elif scheme == "torch_uniform":
            limit = 1.0 / math.sqrt(fan_in)
            w.uniform_(-limit, limit)
        else:
            w.zero_()
