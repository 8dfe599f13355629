"""GR-KAN layer (src/nn/kan/rational.ts; Group-Rational KAN of the Kolmogorov-Arnold Transformer,
Yang & Wang 2024): φ_g(x) = P_g(x)/(1 + |b_1·x + … + b_d·x^d|), one (a, b) per group of n/groups
consecutive input channels, then y = φ(x)·W + bias. Both polynomials by Horner's rule in the jax
side's order; the init fit of the rationals is the jax side's (its arrays are sent)."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .base import Layer, spec_field


class RationalKan(Layer):
    kind = "kan_rational"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: kan_rational needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        n = self.inputs = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        self.numerator_degree = spec_field(spec, "numerator", where, int, 5)
        self.denominator_degree = spec_field(spec, "denominator", where, int, 4)
        self.groups = spec_field(spec, "groups", where, int, 8)
        if self.groups < 1 or n % self.groups != 0:
            raise InputError(f"{where}.groups: {self.groups} groups do not divide the input width {n}; pick a divisor of {n}")
        self.use_bias = spec_field(spec, "bias", where, bool, True)
        self.output_shape = [self.units]
        self.add_array("numerator", [self.groups, self.numerator_degree + 1], True)
        self.add_array("w", [n, self.units], True)
        if self.denominator_degree > 0:
            self.add_array("denominator", [self.groups, self.denominator_degree], True)
        if self.use_bias:
            self.add_array("b", [self.units], True)

    def rational(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x) per channel, [batch, n]."""
        batch, n, g = x.shape[0], self.inputs, self.groups
        xg = x.reshape(batch, g, n // g)
        a = self.array("numerator")
        coefficient = lambda values, j: values[:, j].reshape(1, g, 1)  # noqa: E731
        p = xg * coefficient(a, self.numerator_degree)
        for j in range(self.numerator_degree - 1, -1, -1):
            p = p + coefficient(a, j)
            if j > 0:
                p = p * xg
        if self.denominator_degree == 0:
            return p.reshape(batch, n)
        d = self.array("denominator")
        b = xg * coefficient(d, self.denominator_degree - 1)
        for j in range(self.denominator_degree - 2, -1, -1):
            b = (b + coefficient(d, j)) * xg
        sign = (b > 0).to(b.dtype) * 2 - 1
        return (p / (b * sign + 1)).reshape(batch, n)

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        y = self.rational(x) @ self.array("w")
        return y + self.array("b") if self.use_bias else y
