import unittest

import numpy as np
import torch

from nonlin_torch.expression import Literals
from nonlin_torch.model import Model


def ry(theta: float) -> np.ndarray:
    return np.array([[np.cos(theta / 2), -np.sin(theta / 2)], [np.sin(theta / 2), np.cos(theta / 2)]])


def rz(gamma: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * gamma), np.exp(0.5j * gamma)])


class DaruanTest(unittest.TestCase):
    def test_outputs_are_the_simulated_circuits_expectations(self) -> None:
        gen = np.random.default_rng(9)
        n, m, uploads = 2, 3, 3
        theta, w, phi = gen.uniform(-3, 3, size=(uploads + 1, n, m)), gen.normal(size=(uploads, n, m)), gen.normal(size=(uploads, n, m))
        c, b = gen.normal(size=(n, m)), gen.normal(size=m)
        x = gen.normal(size=(4, n))
        model = Model([{"type": "kan_daruan", "units": m, "layers": uploads}], [n], torch.float64)
        model.load_arrays({f"init/0/params/{k}": v for k, v in dict(theta=theta, w=w, phi=phi, c=c, b=b).items()})
        with torch.no_grad():
            y = model(torch.tensor(x), Literals(jit=False, dtype=torch.float64)).numpy()
        expected = np.tile(b, (4, 1))
        for s in range(4):
            for i in range(n):
                for j in range(m):
                    state = ry(theta[0, i, j]) @ np.array([1.0, 0.0])
                    for l in range(uploads):
                        state = ry(theta[l + 1, i, j]) @ rz(w[l, i, j] * x[s, i] + phi[l, i, j]) @ state
                    expected[s, j] += c[i, j] * (abs(state[0]) ** 2 - abs(state[1]) ** 2)
        np.testing.assert_allclose(y, expected, rtol=1e-12)


if __name__ == "__main__":
    unittest.main()
