import math
import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model

EXACT = Literals(jit=False, dtype=torch.float64)


def run(layer: dict, n: int, x: np.ndarray, arrays: dict) -> np.ndarray:
    m = Model([layer], [n], torch.float64)
    m.load_arrays({f"init/0/params/{k}": v for k, v in arrays.items()})
    with torch.no_grad():
        return m(torch.tensor(x), EXACT).numpy()


class BasisKanTest(unittest.TestCase):
    def setUp(self) -> None:
        self.gen = np.random.default_rng(8)
        self.x = self.gen.uniform(-1.5, 1.5, size=(4, 2))

    def test_chebyshev_is_cos_of_d_acos_of_tanh(self) -> None:
        c, b = self.gen.normal(size=(2, 4, 3)), self.gen.normal(size=3)
        y = run({"type": "kan_chebyshev", "units": 3, "degree": 3, "bias": True}, 2, self.x, {"coeffs": c, "bias": b})
        t = np.tanh(self.x)
        basis = np.stack([np.cos(d * np.arccos(t)) for d in range(4)], 2)
        np.testing.assert_allclose(y, np.einsum("bik,ikj->bj", basis, c) + b, rtol=1e-12)

    def test_fourier_series_per_edge(self) -> None:
        a, s, b = self.gen.normal(size=(2, 3, 2)), self.gen.normal(size=(2, 3, 2)), self.gen.normal(size=2)
        y = run({"type": "kan_fourier", "units": 2, "frequencies": 3}, 2, self.x, {"cos_coeffs": a, "sin_coeffs": s, "bias": b})
        k = np.arange(1, 4)
        phase = self.x[:, :, None] * k
        expected = np.einsum("bik,ikj->bj", np.cos(phase), a) + np.einsum("bik,ikj->bj", np.sin(phase), s) + b
        np.testing.assert_allclose(y, expected, rtol=1e-12)

    def test_fastkan_rbfs_after_layer_norm_plus_silu_base(self) -> None:
        w, base, gain, shift, b = (self.gen.normal(size=s) for s in [(2, 4, 3), (2, 3), 2, 2, 3])
        y = run({"type": "kan_fastkan", "units": 3, "grid_size": 4, "grid_range": [-2, 2]}, 2, self.x,
                {"spline_w": w, "base_w": base, "ln_gain": gain, "ln_bias": shift, "bias": b})
        mean = self.x.mean(-1, keepdims=True)
        normed = (self.x - mean) / np.sqrt(self.x.var(-1, keepdims=True) + 1e-5) * gain + shift
        centres = np.linspace(-2, 2, 4)
        h = 4 / 3
        basis = np.exp(-(((normed[:, :, None] - centres) / h) ** 2))
        silu = self.x / (1 + np.exp(-self.x))
        np.testing.assert_allclose(y, np.einsum("bik,ikj->bj", basis, w) + silu @ base + b, rtol=1e-12)

    def test_relu_kan_bumps(self) -> None:
        w = self.gen.normal(size=(2, 5, 2))
        x = self.gen.uniform(0, 1, size=(4, 2))
        y = run({"type": "kan_relu", "units": 2, "grid_size": 3, "order": 2, "bias": False}, 2, x, {"w": w})
        step = 1 / 3
        starts = np.array([(i - 2) * step for i in range(5)])
        ends = starts + 3 * step
        r = np.maximum(ends - x[:, :, None], 0) * np.maximum(x[:, :, None] - starts, 0)
        basis = r**2 * 16 / (3 * step) ** 4
        np.testing.assert_allclose(y, np.einsum("bik,ikj->bj", basis, w), rtol=1e-12)

    def test_fastkan_layer_norm_needs_two_inputs(self) -> None:
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(kan_fastkan\)\.layer_norm: over a single input it is always 0"):
            Model([{"type": "kan_fastkan", "units": 2}], [1], torch.float64)
        self.assertEqual(len(Model([{"type": "kan_fastkan", "units": 2, "layer_norm": "auto"}], [1], torch.float64).params()), 3)


if __name__ == "__main__":
    unittest.main()
