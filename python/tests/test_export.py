import json
import os
import struct
import tempfile
import unittest

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.export import read_safetensors
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model

EXACT = Literals(jit=False, dtype=torch.float64)
SWISH = {
    "expr": {
        "kind": "call", "op": "mul", "args": [{"kind": "input"}, {"kind": "call", "op": "sigmoid", "args": [
            {"kind": "call", "op": "mul", "args": [{"kind": "param", "name": "beta"}, {"kind": "input"}]}]}],
    },
    "params": {"beta": {"init": 1.0, "learnable": True, "sharing": "neuron"}},
}  # fmt: skip


def conv_model() -> Model:
    layers = [
        {"type": "conv2d", "filters": 3, "kernel": [2, 2], "stride": [1, 1], "padding": "valid", "bias": True},
        {"type": "flatten"},
        {"type": "dense", "units": 2, "activation": SWISH},
    ]
    model = Model(layers, [3, 3, 2], torch.float64)
    gen = np.random.default_rng(7)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(gen.normal(size=tuple(p.shape))))
    return model


class StoreAsTest(unittest.TestCase):
    """An array kept in PyTorch's layout computes exactly as before, gradients included."""

    def test_outputs_and_gradients_unchanged(self) -> None:
        x = torch.from_numpy(np.random.default_rng(1).normal(size=(4, 3, 3, 2)))
        before = conv_model()
        after = conv_model()
        after.layers[0].store_as("w", "weight", [3, 2, 0, 1])
        after.layers[2].store_as("w", "weight", [1, 0])
        after.layers[2].store_as("b", "bias", [0])
        self.assertEqual(list(after.layers[0].weight.shape), [3, 2, 2, 2])  # [out, in, kh, kw]
        self.assertEqual(list(after.layers[2].weight.shape), [2, 12])  # [out, in]
        np.testing.assert_array_equal(after.layers[2].weight.detach().numpy(), before.layers[2].array("w").detach().numpy().T)
        y0, y1 = before(x, EXACT), after(x, EXACT)
        np.testing.assert_allclose(y1.detach().numpy(), y0.detach().numpy(), rtol=1e-13, atol=1e-13)
        y0.sum().backward()
        y1.sum().backward()
        g0 = before.layers[0].w.grad
        np.testing.assert_allclose(after.layers[0].weight.grad.numpy(), g0.permute(3, 2, 0, 1).numpy(), rtol=1e-12)
        names = dict(after.named_parameters())
        self.assertIn("layers.2.weight", names)
        self.assertIn("layers.2.act__beta", names)
        self.assertNotIn("layers.2.w", names)

    def test_a_wrong_permutation_is_refused(self) -> None:
        model = conv_model()
        with self.assertRaisesRegex(InputError, r"not a permutation of 'w''s axes"):
            model.layers[2].store_as("w", "weight", [0, 0])


class ReadSafetensorsTest(unittest.TestCase):
    def write(self, header: dict, body: bytes) -> str:
        text = json.dumps(header).encode()
        handle, path = tempfile.mkstemp(suffix=".safetensors")
        with os.fdopen(handle, "wb") as out:
            out.write(struct.pack("<Q", len(text)) + text + body)
        self.addCleanup(os.remove, path)
        return path

    def test_reads_f32_and_f64(self) -> None:
        a = np.arange(6, dtype="<f4").reshape(2, 3)
        b = np.array([0.1, -2.5], dtype="<f8")
        path = self.write(
            {
                "__metadata__": {"format": "pt"},
                "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                "b": {"dtype": "F64", "shape": [2], "data_offsets": [24, 40]},
            },
            a.tobytes() + b.tobytes(),
        )
        tensors = read_safetensors(path)
        np.testing.assert_array_equal(tensors["a"], a)
        np.testing.assert_array_equal(tensors["b"], b)
        self.assertEqual(tensors["b"].dtype, np.float64)

    def test_refuses_other_dtypes(self) -> None:
        path = self.write({"a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8))
        with self.assertRaisesRegex(InputError, "dtype I64, expected F32 or F64"):
            read_safetensors(path)


if __name__ == "__main__":
    unittest.main()
