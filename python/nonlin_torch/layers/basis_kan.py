"""The basis-function KAN layers (src/nn/kan/: chebyshev.ts, fourier.ts, fastkan.ts, relu-kan.ts):
y_j = Σ_i Σ_k basis_k(x_i) · w_{i,k,j} as one matmul of the basis [B, n·K] with w [n·K, m], plus
each layer's extras, op for op as the jax side computes them."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import torch

from ..errors import InputError
from ..expression import Literals, jax_sigmoid, jax_tanh
from .base import Layer, spec_field

LAYER_NORM_EPS = 1e-5


def basis_matmul(basis: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """basis [B, n, K] · weight [n, K, m] as one 2-D matmul."""
    batch, n, k = basis.shape
    return basis.reshape(batch, n * k) @ weight.reshape(n * k, weight.shape[2])


def fast_relu(a: torch.Tensor) -> torch.Tensor:
    """ReLU as a · [a > 0] (the jax side's form: slope 0 at 0)."""
    return a * (a > 0).to(a.dtype)


def _mean_last(x: torch.Tensor, literals: Literals) -> torch.Tensor:
    return x.sum(dim=-1, keepdim=True) * literals(1.0 / x.shape[-1])


def layer_norm(x: torch.Tensor, gain: torch.Tensor, shift: torch.Tensor, eps: float, literals: Literals) -> torch.Tensor:
    """(x − mean) / √(var + eps) over the last axis (biased variance), · gain + shift."""
    centred = x - _mean_last(x, literals)
    variance = _mean_last(centred * centred, literals)
    return centred * torch.reciprocal(torch.sqrt(variance + literals(eps))) * gain + shift


class _BasisKan(Layer):
    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: {spec['type']} needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        self.inputs = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        if self.units < 1:
            raise InputError(f"{where}.units must be a positive integer, got {self.units}")
        self.output_shape = [self.units]

    def constant(self, values: List[float], device: torch.device) -> torch.Tensor:
        return torch.tensor(values, dtype=self.dtype, device=device)


def grid_range(spec: Dict[str, Any], where: str, default: Tuple[float, float]) -> Tuple[float, float]:
    value = spec.get("grid_range", list(default))
    if not isinstance(value, list) or len(value) != 2 or not value[0] < value[1]:
        raise InputError(f"{where}.grid_range must be [low, high] with low < high, got {value!r}")
    return float(value[0]), float(value[1])


class ChebyshevKan(_BasisKan):
    """Σ c_{i,d,j}·T_d(tanh x_i) [+ b_j], T_d by T_{d+1} = 2t·T_d − T_{d−1} (SS-Santos 2024)."""

    kind = "kan_chebyshev"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(spec, where, input_shape, dtype)
        self.degree = spec_field(spec, "degree", where, int, 4)
        self.use_bias = spec_field(spec, "bias", where, bool, False)
        self.add_array("coeffs", [self.inputs, self.degree + 1, self.units], True)
        if self.use_bias:
            self.add_array("bias", [self.units], True)

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        t = jax_tanh(x)
        terms = [torch.ones_like(t), t]
        two_t = t * 2
        for d in range(2, self.degree + 1):
            terms.append(two_t * terms[d - 1] - terms[d - 2])
        y = basis_matmul(torch.stack(terms[: self.degree + 1], 2), self.array("coeffs"))
        return y + self.array("bias") if self.use_bias else y


class FourierKan(_BasisKan):
    """Σ a_{i,k,j}·cos(k·x_i) + b_{i,k,j}·sin(k·x_i) + bias_j (Xu et al. 2024)."""

    kind = "kan_fourier"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(spec, where, input_shape, dtype)
        self.frequencies = spec_field(spec, "frequencies", where, int, 5)
        self.use_bias = spec_field(spec, "bias", where, bool, True)
        shape = [self.inputs, self.frequencies, self.units]
        self.add_array("cos_coeffs", shape, True)
        self.add_array("sin_coeffs", shape, True)
        if self.use_bias:
            self.add_array("bias", [self.units], True)

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        batch, n = x.shape
        ks = self.constant([float(k + 1) for k in range(self.frequencies)], x.device)
        phase = x.reshape(batch, n, 1) * ks
        y = basis_matmul(torch.cos(phase), self.array("cos_coeffs")) + basis_matmul(torch.sin(phase), self.array("sin_coeffs"))
        return y + self.array("bias") if self.use_bias else y


class FastKan(_BasisKan):
    """Gaussian RBFs after a LayerNorm plus a SiLU base branch on the raw x (Li 2024, FastKAN)."""

    kind = "kan_fastkan"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(spec, where, input_shape, dtype)
        self.grid_size = spec_field(spec, "grid_size", where, int, 8)
        self.grid_range = grid_range(spec, where, (-2.0, 2.0))
        norm = spec.get("layer_norm", True)
        self.layer_norm = self.inputs > 1 if norm == "auto" else bool(norm)
        if self.layer_norm and self.inputs < 2:
            raise InputError(f"{where}.layer_norm: over a single input it is always 0; set layer_norm: false")
        self.base = spec_field(spec, "base", where, bool, True)
        self.use_bias = spec_field(spec, "bias", where, bool, True)
        n = self.inputs
        self.add_array("spline_w", [n, self.grid_size, self.units], True)
        if self.base:
            self.add_array("base_w", [n, self.units], True)
        if self.layer_norm:
            self.add_array("ln_gain", [n], True)
            self.add_array("ln_bias", [n], True)
        if self.use_bias:
            self.add_array("bias", [self.units], True)

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        low, high = self.grid_range
        width = (high - low) / (self.grid_size - 1)
        centres = self.constant([low + g * width for g in range(self.grid_size)], x.device)
        base = (x * jax_sigmoid(x)) @ self.array("base_w") if self.base else None
        normed = layer_norm(x, self.array("ln_gain"), self.array("ln_bias"), LAYER_NORM_EPS, literals) if self.layer_norm else x
        batch, n = normed.shape
        offset = normed.reshape(batch, n, 1) - centres
        basis = torch.exp((offset * offset) * literals(-1 / (width * width)))
        y = basis_matmul(basis, self.array("spline_w"))
        if base is not None:
            y = y + base
        return y + self.array("bias") if self.use_bias else y


class ReluKan(_BasisKan):
    """R_c(x) = [ReLU(e_c − x)·ReLU(x − s_c)]²·16/(e_c − s_c)⁴ (Qiu et al. 2024)."""

    kind = "kan_relu"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(spec, where, input_shape, dtype)
        self.grid_size = spec_field(spec, "grid_size", where, int, 5)
        self.order = spec_field(spec, "order", where, int, 3)
        self.grid_range = grid_range(spec, where, (0.0, 1.0))
        self.use_bias = spec_field(spec, "bias", where, bool, True)
        self.train_grid = spec_field(spec, "train_grid", where, bool, False)
        self.count = self.grid_size + self.order
        self.add_array("w", [self.inputs, self.count, self.units], True)
        if self.use_bias:
            self.add_array("bias", [self.units], True)
        if self.train_grid:
            self.add_array("starts", [self.inputs, self.count], True)
            self.add_array("ends", [self.inputs, self.count], True)

    def phases(self) -> Tuple[List[float], List[float], float]:
        low, high = self.grid_range
        step = (high - low) / self.grid_size
        starts = [low + (i - self.order) * step for i in range(self.count)]
        return starts, [s + (self.order + 1) * step for s in starts], step

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        starts, ends, step = self.phases()
        s = self.array("starts") if self.train_grid else self.constant(starts, x.device)
        e = self.array("ends") if self.train_grid else self.constant(ends, x.device)
        # 16/((k+1)h)⁴ folded into each factor as its square root, fixed when the grid trains
        width = (self.order + 1) * step
        batch, n = x.shape
        xs = x.reshape(batch, n, 1)
        product = fast_relu(xs - s) * fast_relu(e - xs) * literals(4 / (width * width))
        y = basis_matmul(product * product, self.array("w"))
        return y + self.array("bias") if self.use_bias else y
