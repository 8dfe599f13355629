"""A whole trained model as ``nonlin export --to torch`` writes it (docs/predict-export.md): the
folder's ``spec.json`` (the layer specs, activations as syntax trees, and where each array sits in
the state_dict) and ``weights.safetensors`` (a state_dict in PyTorch's layouts), loaded into the
same layers the torch engine trains with — expressions are interpreted as data, never exec'd.

Only torch and numpy are needed: safetensors is read here (8-byte header length, JSON header,
raw little-endian data), not with the ``safetensors`` package.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, Dict, Mapping

import numpy as np
import torch

from .errors import InputError
from .expression import Literals
from .layers.base import attribute_name
from .model import Model, input_shape_of, torch_dtype

SAFETENSORS_DTYPES: Dict[str, Any] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}


def read_safetensors(path: str) -> Dict[str, np.ndarray]:
    """Every tensor of a safetensors file (F32 or F64), by name."""
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 8:
        raise InputError(f"{path}: too short to be a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise InputError(f"{path}: the header runs past the end of the file")
    header = json.loads(data[8 : 8 + length].decode("utf-8"))
    body = memoryview(data)[8 + length :]
    tensors: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise InputError(f"{path}: tensor '{name}' has dtype {info.get('dtype')}, expected F32 or F64")
        begin, end = info["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype=dtype).reshape(info["shape"])
        tensors[name] = array.copy()
    return tensors


class ExportedModel(Model):
    """nonlin's model with its task's scaling: raw feature rows in, the task's outputs out
    (regression values in the target's units; classification logits, softmax for probabilities)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        dtype = torch_dtype(spec.get("dtype"))
        super().__init__(spec.get("layers"), input_shape_of(spec.get("inputShape")), dtype)
        layouts = spec.get("stateDict", {}).get("layouts", [])
        if len(layouts) != len(self.layers):
            raise InputError(f"spec.json: stateDict.layouts has {len(layouts)} entries for {len(self.layers)} layers")
        for layer, arrays in zip(self.layers, layouts):
            for name, layout in arrays.items():
                key, permutation = layout["key"], list(layout["permutation"])
                if key != attribute_name(name) or permutation != sorted(permutation):
                    layer.store_as(name, key, permutation)
        # the scaling is float64, as nonlin applies it before rounding the inputs to the model's dtype
        for prefix, scaling in (("input", spec.get("inputScaling")), ("target", spec.get("targetScaling"))):
            self.register_buffer(f"{prefix}_shift", None if scaling is None else torch.tensor(scaling["shift"], dtype=torch.float64))
            self.register_buffer(f"{prefix}_scale", None if scaling is None else torch.tensor(scaling["scale"], dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """``x``: [rows, features] or [rows, *inputShape], raw (unscaled) encoded features."""
        rows = x.shape[0]
        flat = x.reshape(rows, -1).to(torch.float64)
        if self.input_shift is not None:
            flat = (flat - self.input_shift) / self.input_scale
        inputs = flat.to(self.dtype).reshape(rows, *self.input_shape)
        y = super().forward(inputs, Literals(jit=False, dtype=self.dtype))
        if self.target_shift is not None:
            # in float64, as nonlin gives the values in the target's units
            y = y.to(torch.float64) * self.target_scale + self.target_shift
        return y


def load(folder: str) -> ExportedModel:
    """The model of an exported folder, its state_dict loaded (strictly), in eval mode."""
    with open(os.path.join(folder, "spec.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    model = ExportedModel(spec)
    state = {name: torch.from_numpy(value) for name, value in read_safetensors(os.path.join(folder, "weights.safetensors")).items()}
    model.load_state_dict(state, strict=True)
    return model.eval()
