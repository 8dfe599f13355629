import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model

EXACT = Literals(jit=False, dtype=torch.float64)


def direct_conv(x: np.ndarray, w: np.ndarray, stride: tuple, pads: tuple) -> np.ndarray:
    """y[b, i, j, f] = Σ x_padded[b, s·i + di, s·j + dj, c] w[di, dj, c, f], channels last."""
    (top, bottom), (left, right) = pads
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, filters = w.shape
    ho = (xp.shape[1] - kh) // stride[0] + 1
    wo = (xp.shape[2] - kw) // stride[1] + 1
    y = np.zeros((x.shape[0], ho, wo, filters))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, i * stride[0] : i * stride[0] + kh, j * stride[1] : j * stride[1] + kw, :]
            y[:, i, j, :] = np.einsum("bhwc,hwcf->bf", window, w)
    return y


def run(layers: list, shape: list, x: np.ndarray, arrays: dict) -> np.ndarray:
    m = Model(layers, shape, torch.float64)
    m.load_arrays(arrays)
    with torch.no_grad():
        return m(torch.tensor(x), EXACT).numpy()


class ConvTest(unittest.TestCase):
    def setUp(self) -> None:
        gen = np.random.default_rng(4)
        self.x = gen.normal(size=(2, 6, 5, 2))
        self.w = gen.normal(size=(2, 3, 2, 3))
        self.b = gen.normal(size=3)

    def test_same_padding_puts_the_smaller_half_before(self) -> None:
        # kernel 2x3, stride 1 on 6x5: rows pad (0, 1), columns (1, 1)
        y = run([{"type": "conv2d", "filters": 3, "kernel": [2, 3], "padding": "same"}], [6, 5, 2], self.x,
                {"init/0/params/w": self.w, "init/0/params/b": self.b})
        np.testing.assert_allclose(y, direct_conv(self.x, self.w, (1, 1), ((0, 1), (1, 1))) + self.b, rtol=1e-13)

    def test_strided_valid_convolution(self) -> None:
        y = run([{"type": "conv2d", "filters": 3, "kernel": [2, 3], "stride": 2, "bias": False}], [6, 5, 2], self.x,
                {"init/0/params/w": self.w})
        self.assertEqual(y.shape, (2, 3, 2, 3))
        np.testing.assert_allclose(y, direct_conv(self.x, self.w, (2, 2), ((0, 0), (0, 0))), rtol=1e-13)

    def test_pools_and_flatten(self) -> None:
        x = np.arange(2 * 4 * 6 * 2, dtype=np.float64).reshape(2, 4, 6, 2) % 7
        windows = x.reshape(2, 2, 2, 3, 2, 2).transpose(0, 1, 3, 5, 2, 4)  # [B, Ho, Wo, C, 2, 2]
        got = run([{"type": "maxpool2d", "pool_size": 2}], [4, 6, 2], x, {})
        np.testing.assert_array_equal(got, windows.max(axis=(4, 5)))
        got = run([{"type": "avgpool2d", "pool_size": 2}], [4, 6, 2], x, {})
        np.testing.assert_allclose(got, windows.mean(axis=(4, 5)), rtol=1e-15)
        got = run([{"type": "flatten"}], [4, 6, 2], x, {})
        np.testing.assert_array_equal(got, x.reshape(2, 48))

    def test_maxpool_sends_a_tie_to_the_first_value_in_row_major_order(self) -> None:
        m = Model([{"type": "maxpool2d", "pool_size": 2}], [2, 2, 1], torch.float64)
        x = torch.ones(1, 2, 2, 1, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(m(x, EXACT).sum(), [x])
        np.testing.assert_array_equal(g.numpy().reshape(4), [1, 0, 0, 0])

    def test_geometry_errors_name_layer_and_field(self) -> None:
        with self.assertRaisesRegex(InputError, r'layers\[0\] \(conv2d\)\.kernel: 5x5 is larger than the input 4x4 \(padding "valid"\)'):
            Model([{"type": "conv2d", "filters": 1, "kernel": 5}], [4, 4, 1], torch.float64)
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(maxpool2d\): needs image inputs"):
            Model([{"type": "maxpool2d"}], [16], torch.float64)


if __name__ == "__main__":
    unittest.main()


class ConvKanTest(unittest.TestCase):
    def test_a_dense_inner_layer_is_a_convolution(self) -> None:
        gen = np.random.default_rng(14)
        x, w, b = gen.normal(size=(2, 5, 6, 2)), gen.normal(size=(3, 2, 2, 4)), gen.normal(size=4)
        conv = run([{"type": "conv2d", "filters": 4, "kernel": [3, 2], "stride": [2, 1], "padding": "same"}], [5, 6, 2], x,
                   {"init/0/params/w": w, "init/0/params/b": b})
        inner = run([{"type": "conv_kan", "filters": 4, "kernel": [3, 2], "stride": [2, 1], "padding": "same", "inner": {"type": "dense"}}], [5, 6, 2], x,
                    {"init/0/params/w": w.reshape(12, 4), "init/0/params/b": b})
        np.testing.assert_allclose(inner, conv, rtol=1e-13)

    def test_inner_units_must_be_the_filters(self) -> None:
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(conv_kan\)\.inner\.units \(3\) differs from filters \(4\)"):
            Model([{"type": "conv_kan", "filters": 4, "kernel": 2, "inner": {"type": "kan", "units": 3}}], [4, 4, 1], torch.float64)
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(conv_kan\)\.inner: layer type 'nope' is not available"):
            Model([{"type": "conv_kan", "filters": 4, "kernel": 2, "inner": {"type": "nope"}}], [4, 4, 1], torch.float64)


class ReshapeTest(unittest.TestCase):
    def test_rows_become_images_row_major(self) -> None:
        x = np.arange(24, dtype=np.float64).reshape(2, 12)
        np.testing.assert_array_equal(run([{"type": "reshape", "shape": [2, -1, 3]}], [12], x, {}), x.reshape(2, 2, 2, 3))

    def test_a_shape_that_does_not_fit_is_named(self) -> None:
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(reshape\)\.shape: \[5, -1\] cannot be filled in"):
            Model([{"type": "reshape", "shape": [5, -1]}], [12], torch.float64)
