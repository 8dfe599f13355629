import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model

EXACT = Literals(jit=False, dtype=torch.float64)
IDENTITY = {"expr": {"kind": "input"}, "params": {}}


def run(layers: list, shape: list, x: np.ndarray, arrays: dict) -> np.ndarray:
    m = Model(layers, shape, torch.float64)
    m.load_arrays(arrays)
    with torch.no_grad():
        return m(torch.tensor(x), EXACT).numpy()


class QuadraticTest(unittest.TestCase):
    def test_the_quadratic_neuron(self) -> None:
        gen = np.random.default_rng(2)
        x = gen.normal(size=(4, 3))
        p = {name: gen.normal(size=(3, 2) if name.startswith("w") else 2) for name in ("w_r", "b_r", "w_g", "b_g", "w_b", "c")}
        y = run([{"type": "quadratic", "units": 2, "activation": IDENTITY}], [3], x, {f"init/0/params/{k}": v for k, v in p.items()})
        expected = (x @ p["w_r"] + p["b_r"]) * (x @ p["w_g"] + p["b_g"]) + (x * x) @ p["w_b"] + p["c"]
        np.testing.assert_allclose(y, expected, rtol=1e-13)

    def test_relinear_shrinks_the_quadratic_terms_learning_rate(self) -> None:
        m = Model([{"type": "quadratic", "units": 2}], [3], torch.float64)
        self.assertEqual(m.multipliers(), [1, 1, 0.1, 0.1, 0.1, 0.1])
        m = Model([{"type": "quadratic", "units": 2, "init": "naive"}], [3], torch.float64)
        self.assertEqual(m.multipliers(), [1] * 6)
        m = Model([{"type": "quadratic", "units": 2, "quadratic_lr_scale": 0.5}], [3], torch.float64)
        self.assertEqual(m.multipliers(), [1, 1, 0.5, 0.5, 0.5, 0.5])


class EvoNormTest(unittest.TestCase):
    def setUp(self) -> None:
        gen = np.random.default_rng(3)
        self.x = gen.normal(size=(3, 2, 2, 4))
        self.gamma, self.beta, self.v = gen.normal(size=4), gen.normal(size=4), gen.normal(size=4)
        self.arrays = {"init/0/params/gamma": self.gamma, "init/0/params/beta": self.beta, "init/0/params/v": self.v}

    def test_b0(self) -> None:
        x, eps = self.x, 1e-3
        batch = np.sqrt(x.var(axis=(0, 1, 2), keepdims=True) + eps)
        instance = np.sqrt(x.var(axis=(1, 2), keepdims=True) + eps)
        expected = x / np.maximum(batch, self.v * x + instance) * self.gamma + self.beta
        y = run([{"type": "evonorm_b0", "epsilon": eps}], [2, 2, 4], x, self.arrays)
        np.testing.assert_allclose(y, expected, rtol=1e-12)

    def test_s0_in_two_groups(self) -> None:
        x, eps = self.x, 1e-5
        grouped = x.reshape(3, 4, 2, 2)
        std = np.sqrt(grouped.var(axis=(1, 3), keepdims=True) + eps)
        gate = 1 / (1 + np.exp(-(self.v.reshape(2, 2) * grouped)))
        expected = (grouped * gate / std).reshape(x.shape) * self.gamma + self.beta
        y = run([{"type": "evonorm_s0", "groups": 2}], [2, 2, 4], x, self.arrays)
        np.testing.assert_allclose(y, expected, rtol=1e-12)

    def test_groups_must_divide_the_channels(self) -> None:
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(evonorm_s0\)\.groups must be a positive integer dividing the 4 channels"):
            Model([{"type": "evonorm_s0", "groups": 3}], [2, 2, 4], torch.float64)


if __name__ == "__main__":
    unittest.main()
