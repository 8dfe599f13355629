import math
import unittest

import numpy as np
import torch

from nonlin_torch.expression import Literals
from nonlin_torch.layers.kan import bspline_basis
from nonlin_torch.model import Model

IDENTITY = {"expr": {"kind": "input"}, "params": {}}


def cox_de_boor(x: float, t: list, i: int, k: int) -> float:
    """B_{i,k}(x) by the textbook recursion, half-open intervals, 0/0 as 0."""
    if k == 0:
        return 1.0 if t[i] <= x < t[i + 1] else 0.0
    left = 0.0 if t[i + k] == t[i] else (x - t[i]) / (t[i + k] - t[i]) * cox_de_boor(x, t, i, k - 1)
    right = 0.0 if t[i + k + 1] == t[i + 1] else (t[i + k + 1] - x) / (t[i + k + 1] - t[i + 1]) * cox_de_boor(x, t, i + 1, k - 1)
    return left + right


class BasisTest(unittest.TestCase):
    def test_values_match_the_recursion_and_sum_to_one_inside_the_grid(self) -> None:
        knots = [-1.75, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]  # uneven at the left end
        order = 3
        xs = [-0.99, -0.5, 0.0, 0.3, 0.999]
        got = bspline_basis(torch.tensor(xs, dtype=torch.float64).reshape(-1, 1), torch.tensor([knots], dtype=torch.float64), order)
        for row, x in enumerate(xs):
            expected = [cox_de_boor(x, knots, i, order) for i in range(len(knots) - 1 - order)]
            np.testing.assert_allclose(got[row, 0].numpy(), expected, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(got.sum(-1).numpy()[1:4], 1.0, rtol=1e-14)

    def test_the_gradient_is_the_basis_slope(self) -> None:
        knots = torch.tensor([[-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]], dtype=torch.float64)
        x = torch.tensor([[0.37]], dtype=torch.float64, requires_grad=True)
        weights = torch.tensor([0.3, -1.2, 2.0, 0.5], dtype=torch.float64)
        (g,) = torch.autograd.grad((bspline_basis(x, knots, 2)[0, 0] * weights).sum(), [x])
        h = 1e-6
        f = lambda v: float((bspline_basis(torch.tensor([[v]], dtype=torch.float64), knots, 2)[0, 0] * weights).sum())  # noqa: E731
        self.assertAlmostEqual(float(g), (f(0.37 + h) - f(0.37 - h)) / (2 * h), delta=1e-8)


class KanLayerTest(unittest.TestCase):
    def test_edges_sum_spline_and_base_branches(self) -> None:
        gen = np.random.default_rng(6)
        n, m, grid, order = 2, 3, 4, 3
        k = grid + order
        coef, scale_base, scale_sp = gen.normal(size=(n * k, m)), gen.normal(size=(n, m)), gen.normal(size=(n, m))
        mask = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
        knots = np.tile(np.linspace(-1 - order * 0.5, 1 + order * 0.5, grid + 2 * order + 1), (n, 1))
        model = Model([{"type": "kan", "units": m, "grid_size": grid, "order": order, "base": IDENTITY}], [n], torch.float64)
        model.load_arrays({"init/0/params/coef": coef, "init/0/params/scale_base": scale_base, "init/0/params/scale_sp": scale_sp,
                           "init/0/buffers/knots": knots, "init/0/buffers/mask": mask})
        x = gen.uniform(-1, 1, size=(5, n))
        with torch.no_grad():
            y = model(torch.tensor(x), Literals(jit=False, dtype=torch.float64)).numpy()
        expected = np.zeros((5, m))
        for b in range(5):
            for i in range(n):
                basis = [cox_de_boor(x[b, i], list(knots[i]), c, order) for c in range(k)]
                for j in range(m):
                    spline = sum(coef[i * k + c, j] * basis[c] for c in range(k))
                    expected[b, j] += mask[i, j] * (scale_base[i, j] * x[b, i] + scale_sp[i, j] * spline)
        np.testing.assert_allclose(y, expected, rtol=1e-12)

    def test_untrained_scales_are_buffers(self) -> None:
        model = Model([{"type": "kan", "units": 2, "train_scale_base": False}], [3], torch.float64)
        layer = model.layers[0]
        self.assertEqual(list(layer.param_arrays()), ["coef", "scale_sp"])
        self.assertEqual(list(layer.buffer_arrays()), ["knots", "mask", "scale_base"])


class SymbolicEdgesTest(unittest.TestCase):
    """Fixed (symbolic) edges, pykan's Symbolic_KANLayer: edge i→j adds c·f(a·x_i + b) + d."""

    SIN = {"expr": {"kind": "call", "op": "sin", "args": [{"kind": "input"}]}, "params": {}}
    SQUARE = {"expr": {"kind": "pow", "base": {"kind": "input"}, "exponent": 2}, "params": {}}

    def test_values_are_c_f_of_ax_plus_b_plus_d_per_unit(self) -> None:
        spec = {
            "type": "kan",
            "units": 2,
            "symbolic": [
                {"input": 0, "unit": 1, "fn": self.SIN},
                {"input": 1, "unit": 1, "fn": self.SQUARE},
            ],
        }
        model = Model([spec], [2], torch.float64)
        layer = model.layers[0]
        self.assertEqual(list(layer.param_arrays())[-1], "symbolic_affine")
        self.assertEqual(layer.array("mask").tolist(), [[1.0, 0.0], [1.0, 0.0]])
        with torch.no_grad():
            # splines and base off: only the fixed edges remain
            layer.array("coef").zero_()
            layer.array("scale_base").zero_()
            layer.array("symbolic_affine").copy_(torch.tensor([[2.0, 0.5, 3.0, -1.0], [0.5, 1.0, -2.0, 0.25]], dtype=torch.float64))
        x = torch.tensor([[0.3, -0.7], [-1.2, 0.4]], dtype=torch.float64)
        y = model(x, Literals(jit=False, dtype=torch.float64))
        for r in range(2):
            a, b = x[r].tolist()
            expected = 3.0 * math.sin(2.0 * a + 0.5) - 1.0 + (-2.0) * (0.5 * b + 1.0) ** 2 + 0.25
            self.assertAlmostEqual(float(y[r, 1]), expected, places=12)
            self.assertEqual(float(y[r, 0]), 0.0)

    def test_an_edge_outside_the_layer_is_refused_naming_the_field(self) -> None:
        from nonlin_torch.errors import InputError

        spec = {"type": "kan", "units": 1, "symbolic": [{"input": 2, "unit": 0, "fn": self.SIN}]}
        with self.assertRaisesRegex(InputError, r"symbolic\[0\]: edge 2→0 is not an edge of a layer with 2 inputs and 1 units"):
            Model([spec], [2], torch.float64)


if __name__ == "__main__":
    unittest.main()
