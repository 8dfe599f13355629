"""Losses of a batch, op for op as src/train/loss.ts (means as jax-js takes them: sum · 1/n)."""

from __future__ import annotations

from typing import Callable, Dict

import torch

from .expression import Literals

LossFn = Callable[[torch.Tensor, torch.Tensor, Literals], torch.Tensor]


def _mean(v: torch.Tensor, literals: Literals) -> torch.Tensor:
    return v.sum() * literals(1.0 / v.numel())


def mean_squared_error(prediction: torch.Tensor, target: torch.Tensor, literals: Literals) -> torch.Tensor:
    """Mean squared error over every element."""
    d = prediction - target
    return _mean(d * d, literals)


def cross_entropy(logits: torch.Tensor, one_hot: torch.Tensor, literals: Literals) -> torch.Tensor:
    """Softmax cross-entropy with class targets as a one-hot matrix [batch, classes]; jax-js's
    logSoftmax (the max subtracted with no gradient)."""
    shifted = logits - torch.amax(logits, dim=-1, keepdim=True).detach()
    log_softmax = shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))
    return -_mean((log_softmax * one_hot).sum(dim=-1), literals)


LOSSES: Dict[str, LossFn] = {"mse": mean_squared_error, "cross_entropy": cross_entropy}
