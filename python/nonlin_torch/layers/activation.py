"""Activations inside layers (src/nn/activation.ts): an activation's learnable parameters are
layer params named ``act.<name>`` (another prefix where a layer has two activations), its fixed
ones buffers of the same name, shaped by their sharing
(one value, per channel = last axis, per neuron = every position of a sample)."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import torch

from ..expression import Activation, Literals, evaluate, param_shape, parse_activation
from .base import Layer

PREFIX = "act."


class ActivationApplier:
    """Adds an activation's arrays to ``layer`` and applies the activation with them."""

    def __init__(
        self, layer: Layer, source: Any, sample_shape: Sequence[int], field: str, prefix: str = PREFIX
    ) -> None:
        self.layer = layer
        self.prefix = prefix
        self.activation: Activation = parse_activation(source, f"{layer.where}.{field}")
        for name, spec in self.activation.params.items():
            layer.add_array(prefix + name, param_shape(spec.sharing, sample_shape), spec.learnable)
        self.initial: Dict[str, float] = {
            prefix + name: spec.init for name, spec in self.activation.params.items()
        }

    def reset_parameters(self) -> None:
        with torch.no_grad():
            for name, value in self.initial.items():
                self.layer.array(name).fill_(value)

    def __call__(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        values = {name: self.layer.array(self.prefix + name) for name in self.activation.params}
        return evaluate(self.activation, x, values, literals)


class ActivationLayer(Layer):
    """A standalone activation layer: y = f(x), shape preserved (spec field ``fn``)."""

    kind = "activation"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        self.applier = ActivationApplier(self, spec.get("fn"), input_shape, "fn")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.applier.reset_parameters()

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        return self.applier(x, literals)
