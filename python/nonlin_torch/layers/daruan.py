"""QKAN layer with DARUAN edges (src/nn/kan/daruan.ts; Jiang et al. 2025, "Quantum Variational
Activation Functions Empower Kolmogorov-Arnold Networks"): every edge simulates a single-qubit
data re-uploading circuit, |ψ⟩ = R_y(θ_L)·R_z(w_L·x + φ_L) ⋯ R_y(θ_0)|0⟩, and
y_j = Σ_i c_ij·⟨Z⟩_ij(x_i) + b_j — in real arithmetic on the two amplitudes, op for op as there."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import torch

from ..errors import InputError
from ..expression import Literals
from .base import Layer, spec_field


class DaruanKan(Layer):
    kind = "kan_daruan"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: kan_daruan needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        n = self.inputs = int(input_shape[0])
        m = self.units = spec_field(spec, "units", where, int)
        uploads = self.uploads = spec_field(spec, "layers", where, int, 3)
        if m < 1 or not 1 <= uploads <= 12:
            raise InputError(f"{where}: units must be positive and layers in [1, 12]")
        self.use_bias = spec_field(spec, "bias", where, bool, True)
        self.output_shape = [m]
        self.add_array("theta", [uploads + 1, n, m], True)
        self.add_array("w", [uploads, n, m], True)
        self.add_array("phi", [uploads, n, m], True)
        self.add_array("c", [n, m], True)
        if self.use_bias:
            self.add_array("b", [m], True)

    def expectation(self, x: torch.Tensor) -> torch.Tensor:
        """⟨Z⟩ of every edge, [batch, n, units]."""
        theta, w, phi = self.array("theta"), self.array("w"), self.array("phi")

        def half_angle(l: int) -> Tuple[torch.Tensor, torch.Tensor]:
            half = theta[l] * 0.5
            return torch.cos(half), torch.sin(half)

        xs = x.reshape(x.shape[0], self.inputs, 1)
        alpha_re, beta_re = half_angle(0)
        alpha_im: Optional[torch.Tensor] = None
        beta_im: Optional[torch.Tensor] = None
        for l in range(1, self.uploads + 1):
            # data rotation as diag(1, e^{iγ}), γ = w_l·x + φ_l
            gamma = xs * w[l - 1] + phi[l - 1]
            cos_g, sin_g = torch.cos(gamma), torch.sin(gamma)
            if beta_im is not None:
                beta_re, beta_im = beta_re * cos_g - beta_im * sin_g, beta_re * sin_g + beta_im * cos_g
            else:
                beta_re, beta_im = beta_re * cos_g, beta_re * sin_g
            # trainable R_y(θ_l): α' = cα − sβ, β' = sα + cβ, componentwise on re and im
            c, s = half_angle(l)
            alpha_re, beta_re = alpha_re * c - beta_re * s, alpha_re * s + beta_re * c
            if alpha_im is None:
                alpha_im, beta_im = beta_im * -s, beta_im * c
            else:
                alpha_im, beta_im = alpha_im * c - beta_im * s, alpha_im * s + beta_im * c
        assert alpha_im is not None and beta_im is not None
        return alpha_re * alpha_re + alpha_im * alpha_im - beta_re * beta_re - beta_im * beta_im

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        y = (self.expectation(x) * self.array("c")).sum(1)
        return y + self.array("b") if self.use_bias else y
