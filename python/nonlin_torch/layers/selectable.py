"""S-KAN's selectable KAN layer (src/nn/kan/selectable.ts): every output node mixes the outputs of
several function spaces — B-spline, Gaussian RBF, Fourier, polynomial bases, or pointwise zoo
activations — by softmax(alpha/temperature) weights, or takes one space per node once ``selected``.

A zoo space travels resolved, as ``{"name", "expr", "params"}`` in ``spaces`` (docs/engines.md);
the basis spaces by their names. Its parameters are ``<space>.act.<name>``."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

import torch

from ..errors import InputError
from ..expression import Literals
from .activation import ActivationApplier
from .base import Layer, spec_field
from .basis_kan import grid_range
from .kan import bspline_basis

BASIS_SPACES = ("bspline", "rbf", "fourier", "polynomial")

Features = Callable[[torch.Tensor, Literals], torch.Tensor]


class SelectableKan(Layer):
    kind = "kan_selectable"

    def __init__(self, spec: Dict[str, Any], where: str, input_shape: Sequence[int], dtype: torch.dtype) -> None:
        super().__init__(where, input_shape, dtype)
        if len(input_shape) != 1:
            raise InputError(f"{where}: kan_selectable needs flat inputs, got shape {list(input_shape)}: add a flatten layer")
        n = self.inputs = int(input_shape[0])
        self.units = spec_field(spec, "units", where, int)
        self.output_shape = [self.units]
        self.spec = spec
        self.temperature = float(spec.get("temperature", 1))
        self.grid_range = grid_range(spec, where, (-1.0, 1.0))
        entries = spec.get("spaces")
        if not isinstance(entries, list) or not entries:
            raise InputError(f"{where}.spaces must be a non-empty list")
        self.names: List[str] = []
        for index, entry in enumerate(entries):
            name = entry.get("name") if isinstance(entry, dict) else entry
            if not isinstance(name, str):
                raise InputError(f"{where}.spaces[{index}] must be a basis name or a resolved activation with a name")
            if name in self.names:
                raise InputError(f"{where}.spaces[{index}]: '{name}' is listed twice")
            if isinstance(entry, str) and name not in BASIS_SPACES:
                raise InputError(
                    f"{where}.spaces[{index}]: '{name}' arrived unresolved; the Node side sends a zoo space as {{name, expr, params}}"
                )
            self.names.append(name)
        selected = spec.get("selected")
        self.nodes_of: Optional[Dict[str, List[int]]] = None
        if selected is not None:
            if not isinstance(selected, list) or len(selected) != self.units:
                raise InputError(f"{where}.selected: one entry per output node needs {self.units}")
            self.nodes_of = {}
            for j, name in enumerate(selected):
                if name not in self.names:
                    raise InputError(f"{where}.selected[{j}]: '{name}' is not one of spaces ({', '.join(self.names)})")
                self.nodes_of.setdefault(name, []).append(j)
        if self.nodes_of is None:
            self.add_array("alpha", [self.units, len(self.names)], True)
        self.active: List[str] = [name for name in self.names if self.nodes_of is None or name in self.nodes_of]
        self.features: Dict[str, Features] = {}
        for index, entry in enumerate(entries):
            name = self.names[index]
            if name in self.active:
                rows = self.build_space(entry, index)
                columns = self.units if self.nodes_of is None else len(self.nodes_of[name])
                self.add_array(f"{name}.coef", [n * rows, columns], True)
                self.add_extras(entry, index)

    def build_space(self, entry: Any, index: int) -> int:
        """Registers the features of a space and returns its rows per input."""
        n, spec, name = self.inputs, self.spec, self.names[index]
        low, high = self.grid_range
        flat = lambda f: f.reshape(f.shape[0], -1)  # noqa: E731
        if name == "bspline":
            order = int(spec.get("spline_order", 3))
            grid = int(spec.get("grid_size", 5))
            self.features[name] = lambda x, lit: flat(bspline_basis(x, self.array("bspline.knots"), order))
            return grid + order
        if name == "rbf":
            count = int(spec.get("rbf_centers", 8))
            width = (high - low) / (count - 1)
            centres = [low + g * width for g in range(count)]

            def rbf(x: torch.Tensor, lit: Literals) -> torch.Tensor:
                offset = x.reshape(x.shape[0], n, 1) - torch.tensor(centres, dtype=x.dtype, device=x.device)
                scaled = offset * lit(1 / width)
                return flat(torch.exp(-(scaled * scaled)))

            self.features[name] = rbf
            return count
        if name == "fourier":
            count = int(spec.get("fourier_frequencies", 4))

            def fourier(x: torch.Tensor, lit: Literals) -> torch.Tensor:
                ks = torch.tensor([float(k + 1) for k in range(count)], dtype=x.dtype, device=x.device)
                phase = x.reshape(x.shape[0], n, 1) * ks
                return flat(torch.cat([torch.cos(phase), torch.sin(phase)], 2))

            self.features[name] = fourier
            return 2 * count
        if name == "polynomial":
            degree = int(spec.get("polynomial_degree", 3))

            def polynomial(x: torch.Tensor, lit: Literals) -> torch.Tensor:
                base = x.reshape(x.shape[0], n, 1)
                powers = [base]
                for _ in range(2, degree + 1):
                    powers.append(powers[-1] * base)
                return flat(torch.cat(powers, 2))

            self.features[name] = polynomial
            return degree
        return 1

    def add_extras(self, entry: Any, index: int) -> None:
        name = self.names[index]
        if name == "bspline":
            order = int(self.spec.get("spline_order", 3))
            grid = int(self.spec.get("grid_size", 5))
            self.add_array("bspline.knots", [self.inputs, grid + 2 * order + 1], False)
            low, high = self.grid_range
            h = (high - low) / grid
            with torch.no_grad():
                knots = torch.tensor([low + (i - order) * h for i in range(grid + 2 * order + 1)], dtype=self.dtype)
                self.array("bspline.knots").copy_(knots.expand(self.inputs, -1))
        elif name not in BASIS_SPACES:
            applier = ActivationApplier(self, entry, [self.inputs], f"spaces[{index}]", f"{name}.act.")
            self.features[name] = lambda x, lit: applier(x, lit)

    def apply(self, x: torch.Tensor, literals: Literals) -> torch.Tensor:
        outputs = [self.features[name](x, literals) @ self.array(f"{name}.coef") for name in self.active]
        if self.nodes_of is not None:
            joined = outputs[0] if len(outputs) == 1 else torch.cat(outputs, 1)
            order = [node for name in self.active for node in self.nodes_of[name]]
            if order == list(range(self.units)):
                return joined
            position = [0] * self.units
            for column, node in enumerate(order):
                position[node] = column
            return joined[:, torch.tensor(position, device=joined.device)]
        scores = self.array("alpha") * literals(1 / self.temperature)
        unnormalised = torch.exp(scores - torch.amax(scores, dim=-1, keepdim=True).detach())
        weights = unnormalised / unnormalised.sum(dim=-1, keepdim=True)
        y: Optional[torch.Tensor] = None
        for s, out in enumerate(outputs):
            term = out * weights[:, s]
            y = term if y is None else y + term
        assert y is not None
        return y
