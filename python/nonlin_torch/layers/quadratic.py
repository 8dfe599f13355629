"""Quadratic neuron layer (src/nn/quadratic.ts; Fan et al., "On Expressivity and Trainability of
Quadratic Networks"): y = f((x·w_r + b_r)(x·w_g + b_g) + (x⊙x)·w_b + c). ReLinear's smaller
learning rate of the quadratic terms is ``update_scales``."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .activation import ActivationApplier
from .base import Layer, spec_field
from .init import WEIGHT_INITS, init_weight_

RELU = {"expr": {"kind": "call", "op": "relu", "args": [{"kind": "input"}]}, "params": {}}
QUADRATIC_INITS = ("relinear", "naive")
QUADRATIC_PARAM_NAMES = ("w_g", "b_g", "w_b", "c")
RELINEAR_DEFAULT_LR_SCALE = 0.1


class Quadratic(Layer):
    kind = "quadratic"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: quadratic needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        self.in_features = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        if self.units < 1:
            raise InputError(f"{where}.units must be a positive integer, got {self.units}")
        self.init = spec_field(spec, "init", where, str, "relinear")
        if self.init not in QUADRATIC_INITS:
            raise InputError(f"{where}.init must be one of {', '.join(QUADRATIC_INITS)}, got '{self.init}'")
        self.weight_init = spec_field(spec, "weight_init", where, str, "he_normal")
        if self.weight_init not in WEIGHT_INITS:
            raise InputError(f"{where}.weight_init must be one of {', '.join(WEIGHT_INITS)}")
        default_scale = RELINEAR_DEFAULT_LR_SCALE if self.init == "relinear" else 1.0
        scale = spec_field(spec, "quadratic_lr_scale", where, float, default_scale)
        if scale < 0:
            raise InputError(f"{where}.quadratic_lr_scale must be a finite number >= 0, got {scale}")
        self.update_scales = {name: float(scale) for name in QUADRATIC_PARAM_NAMES}
        self.output_shape = [self.units]
        n, units = self.in_features, self.units
        for name, shape in (("w_r", [n, units]), ("b_r", [units]), ("w_g", [n, units]), ("b_g", [units]), ("w_b", [n, units]), ("c", [units])):
            self.add_array(name, shape, True)
        self.activation = ActivationApplier(self, spec.get("activation", RELU), self.output_shape, "activation")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """ReLinear starts linear: w_g = 0, b_g = 1, w_b = 0, c = 0; "naive" draws all weights."""
        relinear = self.init == "relinear"
        init_weight_(self.array("w_r"), self.weight_init, self.in_features, self.units)
        for name in ("w_g", "w_b"):
            init_weight_(self.array(name), "zeros" if relinear else self.weight_init, self.in_features, self.units)
        with torch.no_grad():
            self.array("b_r").zero_()
            self.array("b_g").fill_(1.0 if relinear else 0.0)
            self.array("c").zero_()
        self.activation.reset_parameters()

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        a = self.array
        linear = x @ a("w_r") + a("b_r")
        gate = x @ a("w_g") + a("b_g")
        power = (x * x) @ a("w_b")
        return self.activation(linear * gate + power + a("c"), literals)
