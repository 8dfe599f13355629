"""Dense layer (src/nn/dense.ts): y = f(x·W + b), W stored [in, out] as nonlin stores it."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .activation import ActivationApplier
from .base import Layer, spec_field
from .init import WEIGHT_INITS, init_weight_

IDENTITY = {"expr": {"kind": "input"}, "params": {}}


class Dense(Layer):
    kind = "dense"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(
                f"{where}: dense needs flat inputs, got shape {list(input_shape)}: add a flatten layer"
            )
        self.in_features = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        if self.units <= 0:
            raise InputError(f"{where}.units must be a positive integer, got {self.units}")
        self.has_bias = spec_field(spec, "bias", where, bool, True)
        self.init = spec_field(spec, "init", where, str, "lecun_normal")
        if self.init not in WEIGHT_INITS:
            raise InputError(f"{where}.init must be one of {', '.join(WEIGHT_INITS)}, got '{self.init}'")
        self.output_shape = [self.units]
        self.add_array("w", [self.in_features, self.units], True)
        if self.has_bias:
            self.add_array("b", [self.units], True)
        self.activation = ActivationApplier(self, spec.get("activation", IDENTITY), self.output_shape, "activation")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fresh weights by the spec's scheme (torch's generator; a trial loads jax's instead)."""
        init_weight_(self.array("w"), self.init, self.in_features, self.units)
        if self.has_bias:
            with torch.no_grad():
                self.array("b").zero_()
        self.activation.reset_parameters()

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        z = x @ self.array("w")
        if self.has_bias:
            z = z + self.array("b")
        return self.activation(z, literals)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, units={self.units}, bias={self.has_bias}"
