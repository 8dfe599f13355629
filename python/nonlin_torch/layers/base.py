"""What every layer of the torch engine shares: arrays named as nonlin names them (``w``, ``b``,
``act.<name>``), learnable ones as parameters, fixed ones as buffers, loaded from the arrays the
Node side sends (``initialState`` of the jax engine) and read back under the same names."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from ..errors import InputError
from ..expression import Literals


def attribute_name(name: str) -> str:
    """torch refuses '.' in parameter names; ``act.a`` is kept as attribute ``act__a``."""
    return name.replace(".", "__")


class Layer(nn.Module):
    """A layer of a model spec. ``where`` names it in errors ("layers[2] (dense)")."""

    kind: str = ""
    #: learning-rate multipliers per parameter name (ReLinear); absent names take 1
    update_scales: Dict[str, float] = {}

    def __init__(self, where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__()
        self.where = where
        self.input_shape: List[int] = list(input_shape)
        self.output_shape: List[int] = list(input_shape)
        self.dtype = dtype
        self._param_names: List[str] = []
        self._buffer_names: List[str] = []
        #: arrays kept in another layout (store_as): nonlin name → (attribute, inverse permutation)
        self._stored_as: Dict[str, Tuple[str, List[int]]] = {}

    def add_array(self, name: str, shape: Sequence[int], learnable: bool) -> None:
        value = torch.zeros(list(shape), dtype=self.dtype)
        if learnable:
            self.register_parameter(attribute_name(name), nn.Parameter(value))
            self._param_names.append(name)
        else:
            self.register_buffer(attribute_name(name), value)
            self._buffer_names.append(name)

    def array(self, name: str) -> torch.Tensor:
        """The array in nonlin's layout (a view where it is stored in another, see store_as)."""
        stored = self._stored_as.get(name)
        if stored is None:
            return getattr(self, attribute_name(name))
        key, inverse = stored
        return _permuted(getattr(self, key), inverse)

    def store_as(self, name: str, key: str, permutation: Sequence[int]) -> None:
        """Keeps array ``name`` as attribute ``key`` with its axes permuted (stored =
        array.permute(permutation)): the layouts of PyTorch's own modules in an exported model,
        e.g. a dense layer's ``w`` [in, out] as ``weight`` [out, in]. The layer computes as before:
        ``array(name)`` gives nonlin's layout back as a view."""
        if sorted(permutation) != list(range(self.array(name).dim())):
            raise InputError(f"{self.where}: {list(permutation)} is not a permutation of '{name}''s axes")
        value = _permuted(self.array(name).detach(), permutation).contiguous()
        learnable = name in self._param_names
        delattr(self, attribute_name(name))
        if learnable:
            self.register_parameter(key, nn.Parameter(value))
        else:
            self.register_buffer(key, value)
        inverse = [0] * len(permutation)
        for axis, source in enumerate(permutation):
            inverse[source] = axis
        self._stored_as[name] = (key, inverse)

    def param_arrays(self) -> Dict[str, torch.Tensor]:
        """The learnable arrays by nonlin's names, in the order the jax side lists them."""
        return {name: self.array(name) for name in self._param_names}

    def buffer_arrays(self) -> Dict[str, torch.Tensor]:
        return {name: self.array(name) for name in self._buffer_names}

    def load_arrays(self, params: Mapping[str, np.ndarray], buffers: Mapping[str, np.ndarray]) -> None:
        """Copies the sent arrays in; every array the layer has must be given, with its shape."""
        for group, names, given in (
            ("params", self._param_names, params),
            ("buffers", self._buffer_names, buffers),
        ):
            extra = sorted(set(given) - set(names))
            if extra:
                raise InputError(f"{self.where}: no {group} array named {', '.join(extra)}")
            for name in names:
                if name not in given:
                    raise InputError(f"{self.where}: {group} array '{name}' was not sent")
                target = self.array(name)
                value = np.asarray(given[name])
                if list(value.shape) != list(target.shape):
                    raise InputError(
                        f"{self.where}: {group} array '{name}' has shape {list(value.shape)}, "
                        f"expected {list(target.shape)}"
                    )
                with torch.no_grad():
                    target.copy_(torch.from_numpy(np.array(value, dtype=np.float64)).to(self.dtype))

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:  # noqa: D102
        raise NotImplementedError

    def forward(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        return self.apply(x, literals)


def _permuted(tensor: torch.Tensor, permutation: Sequence[int]) -> torch.Tensor:
    """``tensor.permute(permutation)``; a 0-d tensor (a scalar parameter) as it is."""
    return tensor.permute(*permutation) if len(permutation) > 0 else tensor


def spec_field(spec: Mapping[str, Any], name: str, where: str, kind: type, default: Any = None) -> Any:
    """A field of a layer spec, type-checked, naming the layer and field when wrong."""
    value = spec.get(name, default)
    if value is None:
        raise InputError(f"{where}.{name} is missing")
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise InputError(f"{where}.{name} must be a {kind.__name__}, got {value!r}")
    return value
