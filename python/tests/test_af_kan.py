import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model

EXACT = Literals(jit=False, dtype=torch.float64)
RELU = {"expr": {"kind": "call", "op": "relu", "args": [{"kind": "input"}]}, "params": {}}
SQUARE = {"expr": {"kind": "pow", "base": {"kind": "input"}, "exponent": 2}, "params": {}}


def bumps(x: np.ndarray, f, grid: int = 5, order: int = 3) -> tuple:
    step = 1 / grid
    starts = np.array([(i - order) * step for i in range(grid + order)])
    ends = starts + (order + 1) * step
    return f(x[:, :, None] - starts), f(ends - x[:, :, None])


class AfKanTest(unittest.TestCase):
    def setUp(self) -> None:
        self.gen = np.random.default_rng(12)
        self.x = self.gen.uniform(0, 1, size=(4, 3))

    def run_layer(self, spec: dict, arrays: dict) -> np.ndarray:
        m = Model([dict({"type": "kan_af", "units": 2}, **spec)], [3], torch.float64)
        m.load_arrays({f"init/0/params/{k}": v for k, v in arrays.items()})
        with torch.no_grad():
            return m(torch.tensor(self.x), EXACT).numpy()

    def test_relu_quad1_with_layer_norm_and_a_linear_head(self) -> None:
        w, b = self.gen.normal(size=(3, 8, 2)), self.gen.normal(size=2)
        u, v = bumps(self.x, lambda t: np.maximum(t, 0))
        flat = ((u * v) ** 2).reshape(4, 24)
        normed = ((flat - flat.mean(-1, keepdims=True)) / np.sqrt(flat.var(-1, keepdims=True) + 1e-5)).reshape(4, 3, 8)
        y = self.run_layer({"function": RELU}, {"w": w, "bias": b})
        np.testing.assert_allclose(y, np.einsum("bik,ikj->bj", normed, w) + b, rtol=1e-12)

    def test_minmax_and_sum(self) -> None:
        w = self.gen.normal(size=(3, 8, 2))
        u, v = bumps(self.x, lambda t: t * t)
        flat = (u + v).reshape(4, 24)
        low = flat.min(-1, keepdims=True)
        normed = ((flat - low) / (flat.max(-1, keepdims=True) - low + 1e-7)).reshape(4, 3, 8)
        y = self.run_layer({"function": SQUARE, "combine": "sum", "norm": "minmax", "bias": False}, {"w": w})
        np.testing.assert_allclose(y, np.einsum("bik,ikj->bj", normed, w), rtol=1e-12)

    def test_attention_head(self) -> None:
        arrays = {"attn_w": self.gen.normal(size=8), "attn_b": np.array(0.3), "temperature": np.array(0.5),
                  "ln_gain": self.gen.normal(size=3), "ln_bias": self.gen.normal(size=3), "w": self.gen.normal(size=(3, 2)), "bias": np.zeros(2)}
        u, v = bumps(self.x, lambda t: t * t)
        basis = u * v
        score = basis @ arrays["attn_w"] + 0.3  # temperature below 1 divides by 1
        attention = np.exp(score) / np.exp(score).sum(-1, keepdims=True)
        attended = attention * basis.sum(-1)
        normed = (attended - attended.mean(-1, keepdims=True)) / np.sqrt(attended.var(-1, keepdims=True) + 1e-5)
        normed = normed * arrays["ln_gain"] + arrays["ln_bias"]
        y = self.run_layer({"function": SQUARE, "combine": "prod", "norm": "none", "head": "attention"}, arrays)
        np.testing.assert_allclose(y, (normed * normed) @ arrays["w"], rtol=1e-12)

    def test_a_statistic_in_the_function_is_refused(self) -> None:
        stat = {"expr": {"kind": "stat", "op": "mean", "axis": "feature", "arg": {"kind": "input"}}, "params": {}}
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(kan_af\)\.function: uses statistics"):
            Model([{"type": "kan_af", "units": 2, "function": stat}], [3], torch.float64)


if __name__ == "__main__":
    unittest.main()
