"""The layer types of the torch engine, by the spec's ``type`` (src/nn/registry.ts's names)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Sequence

import torch

from ..errors import InputError
from .activation import ActivationLayer
from .af_kan import AfKan
from .base import Layer
from .basis_kan import ChebyshevKan, FastKan, FourierKan, ReluKan
from .conv import Conv2d, ConvKan, Flatten, Pool2d
from .daruan import DaruanKan
from .dense import Dense
from .evonorm import EvoNormB0, EvoNormS0
from .kan import Kan
from .quadratic import Quadratic
from .rational import RationalKan
from .reshape import Reshape
from .selectable import SelectableKan

LAYER_TYPES: Dict[str, Callable[[Dict[str, Any], str, Sequence[int], torch.dtype], Layer]] = {
    "dense": Dense,
    "activation": ActivationLayer,
    "conv2d": Conv2d,
    "maxpool2d": Pool2d,
    "avgpool2d": Pool2d,
    "flatten": Flatten,
    "quadratic": Quadratic,
    "evonorm_b0": EvoNormB0,
    "evonorm_s0": EvoNormS0,
    "kan": Kan,
    "kan_chebyshev": ChebyshevKan,
    "kan_fourier": FourierKan,
    "kan_fastkan": FastKan,
    "kan_relu": ReluKan,
    "kan_daruan": DaruanKan,
    "kan_rational": RationalKan,
    "kan_af": AfKan,
    "kan_selectable": SelectableKan,
    "conv_kan": ConvKan,
    "reshape": Reshape,
}


def build_layer(spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> Layer:
    """One layer from its spec; ``where`` names it in errors."""
    kind = spec.get("type")
    build = LAYER_TYPES.get(kind) if isinstance(kind, str) else None
    if build is None:
        raise InputError(
            f"{where}: layer type '{kind}' is not available on the torch engine yet; --engine jax runs it"
        )
    return build(spec, f"{where} ({kind})", input_shape, dtype)


def build_layers(specs: Any, input_shape: Sequence[int], dtype: torch.dtype) -> List[Layer]:
    """The layers of a model spec, each built for the previous one's output shape."""
    if not isinstance(specs, list) or not specs:
        raise InputError("layers must be a non-empty list of layer specs")
    layers: List[Layer] = []
    shape = list(input_shape)
    for index, spec in enumerate(specs):
        if not isinstance(spec, Mapping) or not isinstance(spec.get("type"), str):
            raise InputError(f"layers[{index}] must be an object with a string 'type'")
        layer = build_layer(dict(spec), f"layers[{index}]", shape, dtype)
        layers.append(layer)
        shape = layer.output_shape
    return layers
