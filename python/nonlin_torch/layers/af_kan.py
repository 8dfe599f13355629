"""AF-KAN (src/nn/kan/af-kan.ts): ReLU-KAN's bumps with any pointwise function f in place of ReLU,
basis_c(x) = combine(f(x − s_c), f(e_c − x)), normalised (layer, min-max or none), then a linear
head (Σ w·basis) or an attention head over the inputs; op for op as the jax side."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .activation import ActivationApplier
from .base import Layer, spec_field
from .basis_kan import _mean_last, basis_matmul, fast_relu, grid_range, layer_norm

AF_COMBINATIONS = ("quad1", "quad2", "sum", "prod", "sum_prod", "cubic1", "cubic2")
AF_NORMS = ("layer", "minmax", "none")
AF_HEADS = ("linear", "attention")
NORM_EPS = 1e-5
MINMAX_EPS = 1e-7
SILU = {
    "expr": {"kind": "call", "op": "mul", "args": [{"kind": "input"}, {"kind": "call", "op": "sigmoid", "args": [{"kind": "input"}]}]},
    "params": {},
}


def _has_statistic(node: Any) -> bool:
    if not isinstance(node, Mapping):
        return False
    if node.get("kind") == "stat":
        return True
    children = list(node.get("args") or []) + [node.get("base"), node.get("arg")]
    return any(_has_statistic(child) for child in children)


def combine_halves(kind: str, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    if kind == "quad1":
        p = u * v
        return p * p
    if kind == "quad2":
        return u * v + u * u + v * v
    if kind == "sum":
        return u + v
    if kind == "prod":
        return u * v
    if kind == "sum_prod":
        return u + v + u * v
    if kind == "cubic1":
        return (u + v) * (u * u + v * v)
    p = u * v
    return p * p * p


class _Function:
    """The layer's f under a prefix; a bare relu(x) is the jax side's fast ReLU (slope 0 at 0)."""

    def __init__(self, layer: Layer, source: Any, sample_shape: Sequence[int], prefix: str) -> None:
        self.applier = ActivationApplier(layer, source, sample_shape, "function", prefix)
        expr = self.applier.activation.expr
        if _has_statistic(expr):
            raise InputError(f"{layer.where}.function: uses statistics over a feature axis; kan_af needs a pointwise function")
        args = expr.get("args") or [{}]
        self.plain_relu = expr.get("kind") == "call" and expr.get("op") == "relu" and args[0].get("kind") == "input"

    def __call__(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        return fast_relu(x) if self.plain_relu else self.applier(x, literals)


class AfKan(Layer):
    kind = "kan_af"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: kan_af needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        n = self.inputs = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        self.grid_size = spec_field(spec, "grid_size", where, int, 5)
        self.order = spec_field(spec, "order", where, int, 3)
        self.grid_range = grid_range(spec, where, (0.0, 1.0))
        self.combine = spec.get("combine", "quad1")
        self.norm = spec.get("norm", "layer")
        self.head = spec.get("head", "linear")
        for name, value, allowed in (("combine", self.combine, AF_COMBINATIONS), ("norm", self.norm, AF_NORMS), ("head", self.head, AF_HEADS)):
            if value not in allowed:
                raise InputError(f"{where}.{name} must be one of {', '.join(allowed)}, got {value!r}")
        self.use_bias = spec_field(spec, "bias", where, bool, True)
        self.train_grid = spec_field(spec, "train_grid", where, bool, False)
        k = self.count = self.grid_size + self.order
        if self.norm == "layer" and n * k < 2:
            raise InputError(f"{where}.norm: 'layer' over a single basis value is always 0")
        if self.head == "attention" and n < 2:
            raise InputError(f"{where}.head: 'attention' normalises over the inputs and needs at least 2 of them")
        self.output_shape = [self.units]
        if self.head == "linear":
            self.add_array("w", [n, k, self.units], True)
        else:
            for name, shape in (("attn_w", [k]), ("attn_b", []), ("temperature", []), ("ln_gain", [n]), ("ln_bias", [n]), ("w", [n, self.units])):
                self.add_array(name, shape, True)
        if self.use_bias:
            self.add_array("bias", [self.units], True)
        if self.train_grid:
            self.add_array("starts", [k], True)
            self.add_array("ends", [k], True)
        source = spec.get("function", SILU)
        self.basis_fn = _Function(self, source, [n, k], "basis_act.")
        self.head_fn: Optional[_Function] = _Function(self, source, [n], "head_act.") if self.head == "attention" else None

    def basis(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        low, high = self.grid_range
        step = (high - low) / self.grid_size
        starts = [low + (i - self.order) * step for i in range(self.count)]
        ends = [s + (self.order + 1) * step for s in starts]
        s = self.array("starts") if self.train_grid else torch.tensor(starts, dtype=self.dtype, device=x.device)
        e = self.array("ends") if self.train_grid else torch.tensor(ends, dtype=self.dtype, device=x.device)
        batch, n = x.shape
        k = self.count
        xs = x.reshape(batch, n, 1)
        raw = combine_halves(self.combine, self.basis_fn(xs - s, literals), self.basis_fn(e - xs, literals))
        if self.norm == "none":
            return raw
        flat = raw.reshape(batch, n * k)
        if self.norm == "layer":
            centred = flat - _mean_last(flat, literals)
            variance = _mean_last(centred * centred, literals)
            return (centred * torch.reciprocal(torch.sqrt(variance + literals(NORM_EPS)))).reshape(batch, n, k)
        low_value = torch.amin(flat, dim=-1, keepdim=True)
        spread = torch.amax(flat, dim=-1, keepdim=True) - low_value + literals(MINMAX_EPS)
        return ((flat - low_value) / spread).reshape(batch, n, k)

    def attend(self, basis: torch.Tensor, literals: Literals) -> torch.Tensor:
        batch, n, k = basis.shape
        temperature = self.array("temperature")
        one = torch.ones_like(temperature)
        score = (basis.reshape(batch * n, k) @ self.array("attn_w").reshape(k, 1)).reshape(batch, n)
        score = (score + self.array("attn_b")) / torch.where(temperature < one, one, temperature)
        # softmax over the inputs; the shift only guards exp, so no gradient flows through it
        unnormalised = torch.exp(score - torch.amax(score, dim=-1, keepdim=True).detach())
        attention = unnormalised / unnormalised.sum(dim=-1, keepdim=True)
        attended = attention * basis.sum(dim=-1)
        normed = layer_norm(attended, self.array("ln_gain"), self.array("ln_bias"), NORM_EPS, literals)
        assert self.head_fn is not None
        return self.head_fn(normed, literals) @ self.array("w")

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        basis = self.basis(x, literals)
        y = basis_matmul(basis, self.array("w")) if self.head == "linear" else self.attend(basis, literals)
        return y + self.array("bias") if self.use_bias else y
