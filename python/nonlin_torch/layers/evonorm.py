"""EvoNorm normalisation-activation layers (src/nn/evonorm.ts; Liu et al. 2020, "Evolving
Normalization-Activation Layers"), channels last, batch statistics in training and inference:

  B0: y = x / max(√(var_batch(x)+ε), v·x + √(var_instance(x)+ε)) · γ + β
  S0: y = x·σ(v·x) / √(var_group(x)+ε) · γ + β
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .base import Layer

EVONORM_DEFAULT_EPSILON = 1e-5


def _mean(x: torch.Tensor, axes: List[int], literals: Literals) -> torch.Tensor:
    n = 1
    for axis in axes:
        n *= x.shape[axis]
    return x.sum(dim=axes, keepdim=True) * literals(1.0 / n)


def standard_deviation(x: torch.Tensor, axes: List[int], epsilon: float, literals: Literals) -> torch.Tensor:
    """√(var(x) + ε) over ``axes`` (kept), two-pass, as the jax side."""
    centred = x - _mean(x, axes, literals)
    return torch.sqrt(_mean(centred * centred, axes, literals) + literals(epsilon))


def maximum_of(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """max(a, b) as a + (b − a)·[b > a], the jax side's formula (values and gradients)."""
    return a + (b - a) * (b > a).to(b.dtype)


class _EvoNorm(Layer):
    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) < 1:
            raise InputError(f"{where}: needs inputs [..., channels], got shape {list(input_shape)}")
        self.epsilon = spec.get("epsilon", EVONORM_DEFAULT_EPSILON)
        if not isinstance(self.epsilon, (int, float)) or isinstance(self.epsilon, bool) or not self.epsilon > 0:
            raise InputError(f"{where}.epsilon must be a positive number, got {self.epsilon!r}")
        self.channels = int(input_shape[-1])
        for name in ("gamma", "beta", "v"):
            self.add_array(name, [self.channels], True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ = 1, β = 0, v = 1 (the paper's initialisation)."""
        with torch.no_grad():
            self.array("gamma").fill_(1.0)
            self.array("beta").zero_()
            self.array("v").fill_(1.0)


class EvoNormB0(_EvoNorm):
    kind = "evonorm_b0"

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        rank = x.dim()
        spatial = list(range(1, rank - 1))
        batch_std = standard_deviation(x, [0, *spatial], self.epsilon, literals)
        # a flat sample has no spatial positions: its instance statistics run over its features
        instance_std = standard_deviation(x, spatial if rank > 2 else [1], self.epsilon, literals)
        denominator = maximum_of(batch_std, self.array("v") * x + instance_std)
        return x / denominator * self.array("gamma") + self.array("beta")


class EvoNormS0(_EvoNorm):
    kind = "evonorm_s0"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(spec, where, input_shape, dtype)
        self.groups = spec.get("groups", 8)
        if not isinstance(self.groups, int) or self.groups < 1 or self.channels % self.groups != 0:
            raise InputError(
                f"{where}.groups must be a positive integer dividing the {self.channels} channels of "
                f"input shape {list(input_shape)}, got {self.groups!r}"
            )

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        shape = x.shape
        per_group = self.channels // self.groups
        grouped = x.reshape(shape[0], -1, self.groups, per_group)
        group_std = standard_deviation(grouped, [1, 3], self.epsilon, literals)
        gate = torch.reciprocal(torch.exp(-(self.array("v").reshape(self.groups, per_group) * grouped)) + 1)
        normalised = (grouped * gate / group_std).reshape(shape)
        return normalised * self.array("gamma") + self.array("beta")
