import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model


class RationalTest(unittest.TestCase):
    def test_group_rationals_then_a_linear_map(self) -> None:
        gen = np.random.default_rng(10)
        a, d, w, b = gen.normal(size=(2, 4)), gen.normal(size=(2, 2)), gen.normal(size=(4, 3)), gen.normal(size=3)
        x = gen.normal(size=(5, 4))
        model = Model([{"type": "kan_rational", "units": 3, "numerator": 3, "denominator": 2, "groups": 2, "init_fn": "gelu"}], [4], torch.float64)
        model.load_arrays({"init/0/params/numerator": a, "init/0/params/denominator": d, "init/0/params/w": w, "init/0/params/b": b})
        with torch.no_grad():
            y = model(torch.tensor(x), Literals(jit=False, dtype=torch.float64)).numpy()
        group = np.repeat([0, 1], 2)  # channels 0, 1 in group 0; 2, 3 in group 1
        p = sum(a[group, k] * x**k for k in range(4))
        q = 1 + np.abs(d[group, 0] * x + d[group, 1] * x**2)
        np.testing.assert_allclose(y, (p / q) @ w + b, rtol=1e-12)

    def test_groups_must_divide_the_width(self) -> None:
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(kan_rational\)\.groups: 3 groups do not divide the input width 4"):
            Model([{"type": "kan_rational", "units": 2, "groups": 3}], [4], torch.float64)


if __name__ == "__main__":
    unittest.main()
