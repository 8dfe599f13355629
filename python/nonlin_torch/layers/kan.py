"""KAN layer with B-spline edges (src/nn/kan/bspline.ts; Liu et al. 2024, pykan's KANLayer):

  φ_ij(x) = mask_ij · (scale_base_ij · b(x) + scale_sp_ij · Σ_c coef_ijc · B_c(x)),  y_j = Σ_i φ_ij(x_i),

as one matmul of the basis [batch, n·K] with the effective coefficients [n·K, m] plus one for the
base branch, plus the fixed (symbolic) edges: edge k (i→j) adds c·f(a·x_i + b) + d to unit j, with
(a, b, c, d) row k of the param ``symbolic_affine`` and its spline branch masked
(src/nn/kan/symbolic-edges.ts; pykan's Symbolic_KANLayer). The basis (Cox–de Boor on per-input knots, a buffer) is computed without gradient and
the gradient w.r.t. x attached as value + (x − stopgrad(x))·B′(x), as on the jax side
(src/nn/kan/bspline-basis.ts). The jax side always runs this layer jitted, so its base function
takes jit literals in evaluation too.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import torch

from ..errors import InputError
from ..expression import Activation, Literals, evaluate, parse_activation
from .activation import ActivationApplier
from .base import Layer, spec_field

SILU = {
    "expr": {"kind": "call", "op": "mul", "args": [{"kind": "input"}, {"kind": "call", "op": "sigmoid", "args": [{"kind": "input"}]}]},
    "params": {},
}


#: the param holding every fixed edge's (a, b, c, d), as src/nn/kan/symbolic-edges.ts names it
SYMBOLIC_AFFINE = "symbolic_affine"


def _fixed_edges(specs: Any, where: str, n: int, m: int) -> List[Tuple[int, int, Activation]]:
    """The fixed edges (input, unit, f) of a spec's ``symbolic`` list, f as the Node side sends it
    (``fn``: a syntax tree without parameters), checked against the layer's size."""
    if not isinstance(specs, list):
        raise InputError(f"{where}.symbolic must be a list of fixed edges")
    edges: List[Tuple[int, int, Activation]] = []
    for k, edge in enumerate(specs):
        field = f"{where}.symbolic[{k}]"
        if not isinstance(edge, dict):
            raise InputError(f"{field} must be an object with input, unit and fn")
        i, j = edge.get("input"), edge.get("unit")
        if not isinstance(i, int) or not 0 <= i < n or not isinstance(j, int) or not 0 <= j < m:
            raise InputError(f"{field}: edge {i}→{j} is not an edge of a layer with {n} inputs and {m} units")
        if any(i == a and j == b for a, b, _ in edges):
            raise InputError(f"{field}: edge {i}→{j} is listed twice")
        function = parse_activation(edge.get("fn"), f"{field}.fn")
        if function.params:
            raise InputError(f"{field}.fn: an edge function is of x alone")
        edges.append((i, j, function))
    return edges


def _safe_reciprocal(d: torch.Tensor) -> torch.Tensor:
    """1/d where d ≠ 0, else 0 (repeated knots make a 0/0 term that Cox–de Boor defines as 0)."""
    zero = d == 0
    return torch.where(zero, torch.zeros_like(d), torch.reciprocal(torch.where(zero, torch.ones_like(d), d)))


def _raise_order(lower: torch.Tensor, x: torch.Tensor, t: torch.Tensor, p: int) -> torch.Tensor:
    """One Cox–de Boor step: order p−1 values [B, n, L+1] → order p values [B, n, L]."""
    length = lower.shape[2] - 1
    left_scale = _safe_reciprocal(t[..., p : p + length] - t[..., :length])
    right_scale = _safe_reciprocal(t[..., p + 1 : p + 1 + length] - t[..., 1 : 1 + length])
    left = (x - t[..., :length]) * left_scale * lower[..., :length]
    right = (t[..., p + 1 : p + 1 + length] - x) * right_scale * lower[..., 1 : length + 1]
    return left + right


def bspline_basis(x: torch.Tensor, knots: torch.Tensor, order: int) -> torch.Tensor:
    """B-spline basis [batch, n, M − 1 − order] of x [batch, n] on knots [n, M], exact in value and
    first derivative w.r.t. x; intervals are half-open, so a point on the last knot is outside."""
    batch, n = x.shape
    m = knots.shape[1]
    xs = x.detach().reshape(batch, n, 1)
    t = knots.detach().reshape(1, n, m)
    basis = ((xs >= t[..., : m - 1]).to(x.dtype)) * ((xs < t[..., 1:m]).to(x.dtype))
    for p in range(1, order):
        basis = _raise_order(basis, xs, t, p)
    if order == 0:
        value, slope = basis, torch.zeros_like(basis)
    else:
        count = m - 1 - order
        value = _raise_order(basis, xs, t, order)
        # B'_{i,k} = k·B_{i,k−1}/(t_{i+k} − t_i) − k·B_{i+1,k−1}/(t_{i+k+1} − t_{i+1})
        slope = (
            basis[..., :count] * _safe_reciprocal(t[..., order : order + count] - t[..., :count])
            - basis[..., 1 : count + 1] * _safe_reciprocal(t[..., order + 1 : order + 1 + count] - t[..., 1 : 1 + count])
        ) * order
    delta = (x - x.detach()).reshape(batch, n, 1)
    return value + delta * slope


class Kan(Layer):
    kind = "kan"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: kan needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        self.inputs = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        grid_size = spec_field(spec, "grid_size", where, int, 3)
        self.order = spec_field(spec, "order", where, int, 3)
        if self.units < 1 or grid_size < 1 or not 0 <= self.order <= 7:
            raise InputError(f"{where}: units and grid_size must be positive and order in [0, 7]")
        self.basis_count = grid_size + self.order
        self.knot_count = grid_size + 2 * self.order + 1
        self.output_shape = [self.units]
        n, m = self.inputs, self.units
        self.add_array("coef", [n * self.basis_count, m], True)
        self.add_array("knots", [n, self.knot_count], False)
        self.add_array("mask", [n, m], False)
        self.add_array("scale_base", [n, m], bool(spec.get("train_scale_base", True)))
        self.add_array("scale_sp", [n, m], bool(spec.get("train_scale_sp", True)))
        self.fixed = _fixed_edges(spec.get("symbolic") or [], where, n, m)
        if self.fixed:
            self.add_array(SYMBOLIC_AFFINE, [len(self.fixed), 4], True)
        self.base = ActivationApplier(self, spec.get("base", SILU), input_shape, "base")
        if self.base.activation.params:
            raise InputError(f"{where}.base: the base function of a kan layer takes no parameters")
        low, high = spec.get("grid_range", [-1, 1])
        with torch.no_grad():
            h = (high - low) / grid_size
            knots = torch.tensor([low + (i - self.order) * h for i in range(self.knot_count)], dtype=dtype)
            self.array("knots").copy_(knots.expand(n, -1))
            self.array("mask").fill_(1.0)
            # a fixed edge's spline branch is off from the start; its (a, b, c, d) start at (1, 0, 1, 0)
            for i, j, _ in self.fixed:
                self.array("mask")[i, j] = 0.0
            if self.fixed:
                self.array(SYMBOLIC_AFFINE).copy_(torch.tensor([[1.0, 0.0, 1.0, 0.0]] * len(self.fixed), dtype=dtype))

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        batch = x.shape[0]
        n, count, m = self.inputs, self.basis_count, self.units
        mask = self.array("mask")
        scale = (self.array("scale_sp") * mask).reshape(n, 1, m)
        coef = (self.array("coef").reshape(n, count, m) * scale).reshape(n * count, m)
        basis = bspline_basis(x, self.array("knots"), self.order).reshape(batch, n * count)
        jit = Literals(jit=True, dtype=self.dtype)
        base = self.base(x, jit) @ (self.array("scale_base") * mask)
        y = basis @ coef + base
        return y + self.fixed_outputs(x, jit) if self.fixed else y

    def fixed_outputs(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        """The fixed edges' outputs [batch, m] summed per unit in the listed order (zeros where a
        unit has none), as SymbolicEdges.outputs computes them."""
        affine = self.array(SYMBOLIC_AFFINE)
        columns: List[Any] = [None] * self.units
        for k, (i, j, function) in enumerate(self.fixed):
            u = x[:, i : i + 1] * affine[k, 0] + affine[k, 1]
            value = evaluate(function, u, {}, literals) * affine[k, 2] + affine[k, 3]
            columns[j] = value if columns[j] is None else columns[j] + value
        zeros = x.new_zeros((x.shape[0], 1))
        return torch.cat([zeros if column is None else column for column in columns], dim=1)
