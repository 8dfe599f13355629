import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model

EXACT = Literals(jit=False, dtype=torch.float64)
SCALED_TANH = {
    "name": "scaled-tanh",
    "expr": {"kind": "call", "op": "mul", "args": [{"kind": "param", "name": "a"}, {"kind": "call", "op": "tanh", "args": [{"kind": "input"}]}]},
    "params": {"a": {"init": 1.5, "learnable": True, "sharing": "scalar"}},
}


class SelectableTest(unittest.TestCase):
    def setUp(self) -> None:
        self.gen = np.random.default_rng(13)
        self.x = self.gen.uniform(-1, 1, size=(5, 2))

    def test_softmax_mixture_of_a_polynomial_and_a_zoo_space(self) -> None:
        alpha = self.gen.normal(size=(3, 2))
        poly, act = self.gen.normal(size=(4, 3)), self.gen.normal(size=(2, 3))
        m = Model([{"type": "kan_selectable", "units": 3, "spaces": ["polynomial", SCALED_TANH], "polynomial_degree": 2, "temperature": 0.5}], [2], torch.float64)
        self.assertEqual(list(m.layers[0].param_arrays()), ["alpha", "polynomial.coef", "scaled-tanh.coef", "scaled-tanh.act.a"])
        m.load_arrays({"init/0/params/alpha": alpha, "init/0/params/polynomial.coef": poly, "init/0/params/scaled-tanh.coef": act,
                       "init/0/params/scaled-tanh.act.a": np.array(1.5)})
        with torch.no_grad():
            y = m(torch.tensor(self.x), EXACT).numpy()
        x = self.x
        features = np.stack([x, x * x], 2).reshape(5, 4)
        weights = np.exp(alpha / 0.5) / np.exp(alpha / 0.5).sum(-1, keepdims=True)
        expected = (features @ poly) * weights[:, 0] + (1.5 * np.tanh(x) @ act) * weights[:, 1]
        np.testing.assert_allclose(y, expected, rtol=1e-12)

    def test_selected_spaces_feed_their_nodes(self) -> None:
        poly, rbf = self.gen.normal(size=(2, 1)), self.gen.normal(size=(16, 2))
        m = Model([{"type": "kan_selectable", "units": 3, "spaces": ["polynomial", "rbf"], "polynomial_degree": 1, "selected": ["rbf", "polynomial", "rbf"]}], [2], torch.float64)
        m.load_arrays({"init/0/params/polynomial.coef": poly, "init/0/params/rbf.coef": rbf})
        with torch.no_grad():
            y = m(torch.tensor(self.x), EXACT).numpy()
        centres = np.linspace(-1, 1, 8)
        features = np.exp(-(((self.x[:, :, None] - centres) / (2 / 7)) ** 2)).reshape(5, 16)
        np.testing.assert_allclose(y[:, 1], (self.x @ poly)[:, 0], rtol=1e-12)
        np.testing.assert_allclose(y[:, [0, 2]], features @ rbf, rtol=1e-12)

    def test_an_unresolved_zoo_space_is_named(self) -> None:
        with self.assertRaisesRegex(InputError, r"spaces\[1\]: 'silu' arrived unresolved"):
            Model([{"type": "kan_selectable", "units": 2, "spaces": ["rbf", "silu"]}], [2], torch.float64)


if __name__ == "__main__":
    unittest.main()
