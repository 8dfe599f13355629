"""Channels-last image layers (src/nn/conv/): conv2d, maxpool2d, avgpool2d and flatten. Samples
are [height, width, channels]; the kernel is stored [kh, kw, cin, filters] (HWIO) as nonlin stores
it, and the convolution runs as torch's on the NCHW view of the same numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..errors import InputError
from ..expression import Literals
from .activation import ActivationApplier
from .base import Layer, spec_field
from .dense import IDENTITY
from .init import WEIGHT_INITS, init_weight_

PADDINGS = ("valid", "same")


def size_pair(spec: Dict[str, Any], name: str, where: str, default: Any) -> Tuple[int, int]:
    """A window size or stride: one positive integer, or [rows, columns]."""
    value = spec.get(name, default)
    if value is None:
        raise InputError(f"{where}.{name} is missing")
    pair = [value, value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in pair):
        raise InputError(f"{where}.{name} must be a positive integer or [rows, columns], got {value!r}")
    return pair[0], pair[1]


@dataclass(frozen=True)
class Geometry:
    """Where a layer's windows lie (patches.ts's PatchGeometry)."""

    channels: int
    kernel: Tuple[int, int]
    stride: Tuple[int, int]
    pad_rows: Tuple[int, int]
    pad_columns: Tuple[int, int]
    out_height: int
    out_width: int


def _axis(size: int, kernel: int, stride: int, padding: str) -> Tuple[int, Tuple[int, int]]:
    """Output size and padding along one axis; "same" pads the smaller half before (TF/JAX)."""
    if padding == "valid":
        return (size - kernel) // stride + 1, (0, 0)
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, (total // 2, total - total // 2)


def geometry(where: str, input_shape: Sequence[int], kernel: Tuple[int, int], stride: Tuple[int, int], padding: str, kernel_field: str) -> Geometry:
    if len(input_shape) != 3:
        raise InputError(f"{where}: needs image inputs [height, width, channels], got shape {list(input_shape)}")
    height, width, channels = input_shape
    if padding == "valid" and (kernel[0] > height or kernel[1] > width):
        raise InputError(
            f"{where}.{kernel_field}: {kernel[0]}x{kernel[1]} is larger than the input {height}x{width} "
            f'(padding "valid"): use a smaller {kernel_field} or padding "same"'
        )
    out_height, pad_rows = _axis(height, kernel[0], stride[0], padding)
    out_width, pad_columns = _axis(width, kernel[1], stride[1], padding)
    return Geometry(channels, kernel, stride, pad_rows, pad_columns, out_height, out_width)


def to_nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2)


def to_nhwc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1)


class Conv2d(Layer):
    """y = f(conv(x, W) + b) over channels-last images."""

    kind = "conv2d"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        self.filters = spec_field(spec, "filters", where, int)
        if self.filters < 1:
            raise InputError(f"{where}.filters must be a positive integer, got {self.filters}")
        padding = spec.get("padding", "valid")
        if padding not in PADDINGS:
            raise InputError(f"{where}.padding must be valid or same, got {padding!r}")
        self.init = spec_field(spec, "init", where, str, "he_normal")
        if self.init not in WEIGHT_INITS:
            raise InputError(f"{where}.init must be one of {', '.join(WEIGHT_INITS)}, got '{self.init}'")
        self.has_bias = spec_field(spec, "bias", where, bool, True)
        kernel = size_pair(spec, "kernel", where, None)
        self.geometry = geometry(where, input_shape, kernel, size_pair(spec, "stride", where, 1), padding, "kernel")
        g = self.geometry
        self.output_shape = [g.out_height, g.out_width, self.filters]
        self.add_array("w", [kernel[0], kernel[1], g.channels, self.filters], True)
        if self.has_bias:
            self.add_array("b", [self.filters], True)
        self.activation = ActivationApplier(self, spec.get("activation", IDENTITY), self.output_shape, "activation")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kh, kw = self.geometry.kernel
        init_weight_(self.array("w"), self.init, kh * kw * self.geometry.channels, kh * kw * self.filters)
        if self.has_bias:
            with torch.no_grad():
                self.array("b").zero_()
        self.activation.reset_parameters()

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        g = self.geometry
        padded = F.pad(to_nchw(x), (*g.pad_columns, *g.pad_rows))
        weight = self.array("w").permute(3, 2, 0, 1)  # HWIO → OIHW
        z = to_nhwc(F.conv2d(padded, weight, stride=g.stride))
        if self.has_bias:
            z = z + self.array("b")
        return self.activation(z, literals)

    def extra_repr(self) -> str:
        return f"filters={self.filters}, kernel={self.geometry.kernel}, stride={self.geometry.stride}"


class Pool2d(Layer):
    """Max or average over "valid" windows (stride defaults to the pool size). Max sends a tie's
    gradient to the first tied value in row-major window order, as jax-js's chain of maximums."""

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        self.kind = str(spec["type"])
        pool = size_pair(spec, "pool_size", where, 2)
        stride = size_pair(spec, "stride", where, list(pool)) if spec.get("stride") is not None else pool
        self.geometry = geometry(where, input_shape, pool, stride, "valid", "pool_size")
        g = self.geometry
        self.output_shape = [g.out_height, g.out_width, g.channels]

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        g = self.geometry
        if self.kind == "maxpool2d":
            return to_nhwc(F.max_pool2d(to_nchw(x), g.kernel, g.stride))
        kh, kw = g.kernel
        windows = x.unfold(1, kh, g.stride[0]).unfold(2, kw, g.stride[1])  # [B, Ho, Wo, C, kh, kw]
        return windows.sum(dim=(4, 5)) * literals(1.0 / (kh * kw))


class Flatten(Layer):
    """One sample [H, W, C] → [H·W·C], row-major (channels vary fastest)."""

    kind = "flatten"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        size = 1
        for n in input_shape:
            size *= n
        self.output_shape: List[int] = [size]

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        return x.reshape(x.shape[0], self.output_shape[0])


def extract_patches(x: torch.Tensor, g: Geometry) -> torch.Tensor:
    """Every window as one row [B·Ho·Wo, kh·kw·C], columns in (di, dj, c) order (patches.ts)."""
    padded = F.pad(x, (0, 0, *g.pad_columns, *g.pad_rows))
    windows = padded.unfold(1, g.kernel[0], g.stride[0]).unfold(2, g.kernel[1], g.stride[1])
    # [B, Ho, Wo, C, kh, kw] → [B, Ho, Wo, kh, kw, C]
    return windows.permute(0, 1, 2, 4, 5, 3).reshape(-1, g.kernel[0] * g.kernel[1] * g.channels)


class ConvKan(Layer):
    """An inner layer (a KAN) applied to every image window (src/nn/conv/conv-kan.ts); its arrays
    are this layer's."""

    kind = "conv_kan"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        from . import build_layer  # the registry imports this module

        super().__init__(where, input_shape, dtype)
        self.filters = spec_field(spec, "filters", where, int)
        padding = spec.get("padding", "valid")
        if padding not in PADDINGS:
            raise InputError(f"{where}.padding must be valid or same, got {padding!r}")
        kernel = size_pair(spec, "kernel", where, None)
        self.geometry = geometry(where, input_shape, kernel, size_pair(spec, "stride", where, 1), padding, "kernel")
        g = self.geometry
        inner = spec.get("inner")
        if not isinstance(inner, dict):
            raise InputError(f"{where}.inner must be a layer spec")
        if inner.get("units") is not None and inner.get("units") != self.filters:
            raise InputError(f"{where}.inner.units ({inner.get('units')}) differs from filters ({self.filters}): leave inner.units out")
        self.inner = build_layer(dict(inner, units=self.filters), f"{where}.inner", [g.kernel[0] * g.kernel[1] * g.channels], dtype)
        if self.inner.output_shape != [self.filters]:
            raise InputError(f"{where}.inner must map a window to [{self.filters}], it gives {self.inner.output_shape}")
        self.update_scales = self.inner.update_scales
        self.output_shape = [g.out_height, g.out_width, self.filters]

    def array(self, name: str) -> torch.Tensor:
        return self.inner.array(name)

    def param_arrays(self) -> Dict[str, torch.Tensor]:
        return self.inner.param_arrays()

    def buffer_arrays(self) -> Dict[str, torch.Tensor]:
        return self.inner.buffer_arrays()

    def load_arrays(self, params: Any, buffers: Any) -> None:
        self.inner.load_arrays(params, buffers)

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        y = self.inner(extract_patches(x, self.geometry), literals)
        return y.reshape(x.shape[0], *self.output_shape)
