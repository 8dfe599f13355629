"""Reshape (src/nn/reshape.ts): one sample [...in] → [...shape], row-major; one entry of ``shape``
may be -1 and takes whatever the others leave."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .base import Layer


class Reshape(Layer):
    kind = "reshape"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        shape = spec.get("shape")
        if not isinstance(shape, list) or not shape or not all(isinstance(s, int) and (s > 0 or s == -1) for s in shape):
            raise InputError(f"{where}.shape must be a list of positive sizes with at most one -1, got {shape!r}")
        values = math.prod(input_shape)
        text = f"[{', '.join(map(str, shape))}]"
        held = f"the input {list(input_shape)} holds {values} values a sample"
        free = shape.count(-1)
        known = math.prod(s for s in shape if s != -1)
        if free > 1:
            raise InputError(f"{where}.shape: {text} may hold -1 only once")
        if free == 0 and known != values:
            raise InputError(f"{where}.shape: {text} holds {known} values a sample but {held}")
        if free == 1 and values % known != 0:
            raise InputError(f"{where}.shape: {text} cannot be filled in: {held}, not a multiple of {known}")
        self.output_shape: List[int] = [values // known if s == -1 else s for s in shape]

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.output_shape)
