"""A model: the layers of a spec in order (src/nn/model.ts), with its arrays named as the protocol
names them, ``<layer>/<params|buffers>/<name>`` (``<layer>`` the layer's index)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .errors import InputError
from .expression import Literals
from .layers import build_layers
from .layers.base import Layer

DTYPES: Dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}


def torch_dtype(name: Any) -> torch.dtype:
    if name not in DTYPES:
        raise InputError(f"dtype must be float32 or float64, got {name!r}")
    return DTYPES[name]


def input_shape_of(value: Any) -> List[int]:
    if not isinstance(value, list) or not all(isinstance(n, int) and n > 0 for n in value):
        raise InputError(f"inputShape must be a list of positive integers, got {value!r}")
    return list(value)


class Model(nn.Module):
    def __init__(self, specs: Any, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        self.input_shape = list(input_shape)
        self.dtype = dtype
        self.layers: List[Layer] = nn.ModuleList(build_layers(specs, input_shape, dtype))  # type: ignore[assignment]
        self.output_shape = self.layers[-1].output_shape

    def forward(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, literals)
        return x

    def load_arrays(self, arrays: Mapping[str, np.ndarray], prefix: str = "init/") -> None:
        """Loads ``<prefix><layer>/<params|buffers>/<name>`` into every layer."""
        grouped: List[Dict[str, Dict[str, np.ndarray]]] = [
            {"params": {}, "buffers": {}} for _ in self.layers
        ]
        for full, value in arrays.items():
            if not full.startswith(prefix):
                continue
            parts = full[len(prefix):].split("/", 2)
            if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in ("params", "buffers"):
                raise InputError(f"array '{full}': expected {prefix}<layer>/<params|buffers>/<name>")
            index = int(parts[0])
            if index >= len(self.layers):
                raise InputError(f"array '{full}': the model has {len(self.layers)} layers")
            grouped[index][parts[1]][parts[2]] = value
        for layer, group in zip(self.layers, grouped):
            layer.load_arrays(group["params"], group["buffers"])

    def params(self) -> List[torch.Tensor]:
        """The learnable arrays in the jax side's leaf order (layer by layer, names in order)."""
        return [p for layer in self.layers for p in layer.param_arrays().values()]

    def param_paths(self) -> List[str]:
        """``<layer>/<name>`` of each array of ``params()``: its path in the jax side's params tree."""
        return [f"{index}/{name}" for index, layer in enumerate(self.layers) for name in layer.param_arrays()]

    def multipliers(self) -> List[float]:
        return [
            float(layer.update_scales.get(name, 1))
            for layer in self.layers
            for name in layer.param_arrays()
        ]

    def state_arrays(self) -> Dict[str, np.ndarray]:
        """Every array as float64 on the host, named ``<layer>/<params|buffers>/<name>``."""
        out: Dict[str, np.ndarray] = {}
        for index, layer in enumerate(self.layers):
            for group, named in (("params", layer.param_arrays()), ("buffers", layer.buffer_arrays())):
                for name, value in named.items():
                    out[f"{index}/{group}/{name}"] = value.detach().to("cpu", torch.float64).numpy()
        return out
