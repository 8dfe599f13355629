import math
import unittest
from typing import Any, Dict

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Activation, Literals, evaluate, parse_activation

X: Dict[str, Any] = {"kind": "input"}
EXACT = Literals(jit=False, dtype=torch.float64)
JIT = Literals(jit=True, dtype=torch.float64)
POINTS = [-3.0, -1.0, -0.3, -1e-9, 0.0, 1e-9, 0.2, 1.0, 2.7]


def call(op: str, *args: Any) -> Dict[str, Any]:
    return {"kind": "call", "op": op, "args": list(args)}


def const(value: float) -> Dict[str, Any]:
    return {"kind": "const", "value": value}


def run(expr: Dict[str, Any], xs: Any = POINTS, literals: Literals = EXACT, params: Any = None) -> torch.Tensor:
    activation = parse_activation({"expr": expr, "params": params or {}}, "fn")
    x = torch.tensor(xs, dtype=torch.float64)
    return evaluate(activation, x, {}, literals)


def grad(expr: Dict[str, Any], xs: Any) -> np.ndarray:
    activation = parse_activation({"expr": expr, "params": {}}, "fn")
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(evaluate(activation, x, {}, EXACT).sum(), [x])
    return g.numpy()


def safe_den(b: float) -> float:
    return max(b, 1e-7) if b >= 0 else min(b, -1e-7)


PLAIN = {
    "neg": lambda x: -x,
    "abs": abs,
    "exp": math.exp,
    "log": lambda x: math.log(max(abs(x), 1e-7)),
    "sqrt": lambda x: math.sqrt(max(x, 1e-7)),
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "asinh": math.asinh,
    "atan": math.atan,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "erf": math.erf,
    "softplus": lambda x: max(x, 0) + math.log1p(math.exp(-abs(x))),
    "relu": lambda x: max(x, 0.0),
    "step": lambda x: 1.0 if x > 0 else 0.0,
    "sign": lambda x: float(np.sign(x)),
    "gaussian": lambda x: math.exp(-x * x),
    "sinc": lambda x: 1.0 if x == 0 else math.sin(x) / x,
    "stopgrad": lambda x: x,
}


class UnaryTest(unittest.TestCase):
    def test_every_unary_op_against_plain_math(self) -> None:
        for op, plain in PLAIN.items():
            got = run(call(op, X)).numpy()
            for x, value in zip(POINTS, got):
                self.assertAlmostEqual(value, plain(x), delta=1e-13 * max(1, abs(plain(x))), msg=f"{op}({x})")

    def test_erf_float64_is_nonlins_own_to_1e_15(self) -> None:
        xs = list(np.linspace(-6, 6, 97))
        got = run(call("erf", X), xs).numpy()
        self.assertLess(max(abs(g - math.erf(x)) for g, x in zip(got, xs)), 2e-15)


class BinaryTest(unittest.TestCase):
    def test_safe_division_moves_the_denominator_eps_from_zero(self) -> None:
        bs = [0.0, 1e-9, -1e-9, 2.0, -3.0]
        got = run(call("div", const(1.0), X), bs).numpy()
        np.testing.assert_allclose(got, [1 / safe_den(b) for b in bs], rtol=1e-15)

    def test_max_and_min_send_the_gradient_to_the_first_argument_at_a_tie(self) -> None:
        np.testing.assert_array_equal(grad(call("max", X, const(0.0)), [0.0, -1.0, 1.0]), [1, 0, 1])
        np.testing.assert_array_equal(grad(call("min", X, const(0.0)), [0.0, -1.0, 1.0]), [1, 1, 0])
        np.testing.assert_array_equal(grad(call("relu", X), [0.0]), [1])
        np.testing.assert_array_equal(grad(call("abs", X), [0.0, -2.0]), [1, -1])

    def test_relu_is_max_of_x_and_0_with_its_values_and_gradients_in_both_dtypes(self) -> None:
        # the smallest numbers either side of 0, −0, and NaN, in float32 and float64
        for dtype, tiny in ((torch.float32, 2.0**-149), (torch.float64, 2.0**-1074)):
            xs = [-tiny, -0.0, 0.0, tiny, -3.0, 2.5, float("nan")]
            x = torch.tensor(xs, dtype=dtype, requires_grad=True)
            lit = Literals(jit=False, dtype=dtype)
            y = evaluate(Activation(call("relu", X), {}), x, {}, lit)
            reference = evaluate(Activation(call("max", X, const(0.0)), {}), x, {}, lit)
            np.testing.assert_array_equal(y.detach().numpy(), reference.detach().numpy())
            self.assertTrue(math.copysign(1, float(y[1])) < 0, "max(−0, 0) is −0, as x at a tie")
            (g,) = torch.autograd.grad(y.sum(), x)
            np.testing.assert_array_equal(g.numpy()[:6], [0, 1, 1, 1, 0, 1])

    def test_where_takes_b_where_c_is_positive(self) -> None:
        got = run(call("where", X, const(1.0), const(2.0)), [-1.0, 0.0, 0.5]).numpy()
        np.testing.assert_array_equal(got, [2, 2, 1])

    def test_surrogate_has_the_value_of_f_and_the_gradient_of_g(self) -> None:
        expr = call("surrogate", call("step", X), call("sigmoid", X))
        xs = [-1.0, 0.5]
        np.testing.assert_array_equal(run(expr, xs).numpy(), [0, 1])
        s = [1 / (1 + math.exp(-x)) for x in xs]
        np.testing.assert_allclose(grad(expr, xs), [v * (1 - v) for v in s], rtol=1e-15)

    def test_stopgrad_has_no_gradient(self) -> None:
        np.testing.assert_array_equal(grad(call("add", X, call("stopgrad", X)), [1.0]), [1])


class PowerTest(unittest.TestCase):
    def test_integer_powers_and_the_safe_reciprocal(self) -> None:
        xs = [-1.5, 0.0, 2.0, 3.0]
        for n in [0, 1, 2, 3, 5, 8, 13]:
            got = run({"kind": "pow", "base": X, "exponent": n}, xs).numpy()
            np.testing.assert_allclose(got, [x**n for x in xs], rtol=1e-15, err_msg=str(n))
        got = run({"kind": "pow", "base": X, "exponent": -2}, xs).numpy()
        np.testing.assert_allclose(got, [1 / safe_den(x * x) for x in xs], rtol=1e-15)


class StatisticTest(unittest.TestCase):
    def setUp(self) -> None:
        self.values = np.arange(24, dtype=np.float64).reshape(2, 3, 4) ** 1.5 / 10

    def stat(self, op: str, axis: str, literals: Literals = EXACT) -> np.ndarray:
        expr = {"kind": "stat", "op": op, "axis": axis, "arg": X}
        activation = parse_activation({"expr": expr, "params": {}}, "fn")
        return evaluate(activation, torch.tensor(self.values), {}, literals).numpy()

    def test_axes_and_ops_against_numpy(self) -> None:
        v = self.values
        for axis, axes in (("feature", (2,)), ("batch", (0, 1)), ("instance", (1, 2))):
            expected = {
                "mean": v.mean(axes, keepdims=True),
                "var": v.var(axes, keepdims=True),
                "std": np.sqrt(np.maximum(v.var(axes, keepdims=True), 1e-7)),
                "rms": np.sqrt(np.maximum((v * v).mean(axes, keepdims=True), 1e-7)),
                "amax": v.max(axes, keepdims=True),
            }
            for op, value in expected.items():
                np.testing.assert_allclose(self.stat(op, axis), np.broadcast_to(value, v.shape), rtol=1e-13, err_msg=f"{op} {axis}")

    def test_jit_literals_round_the_mean_like_jax_js(self) -> None:
        # inside jit, jax-js multiplies by float32(1/n): a mean of three 1s is 1.0000000298
        self.values = np.ones((1, 3))
        self.assertEqual(self.stat("mean", "feature", JIT)[0, 0], 3 * float(np.float32(1 / 3)))
        self.assertEqual(self.stat("mean", "feature", EXACT)[0, 0], 1.0)


class ParamsTest(unittest.TestCase):
    def test_parameters_broadcast_by_sharing(self) -> None:
        expr = call("mul", {"kind": "param", "name": "a"}, X)
        activation = parse_activation({"expr": expr, "params": {"a": {"init": 2, "learnable": True, "sharing": "channel"}}}, "fn")
        x = torch.ones(2, 3, dtype=torch.float64)
        a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
        np.testing.assert_array_equal(evaluate(activation, x, {"a": a}, EXACT).numpy(), [[1, 2, 3], [1, 2, 3]])


class ValidationTest(unittest.TestCase):
    def test_an_unknown_op_is_named_at_its_path(self) -> None:
        with self.assertRaisesRegex(InputError, r"fn\.expr\.args\[0\]\.op: 'nope'"):
            parse_activation({"expr": call("neg", call("nope", X)), "params": {}}, "fn")

    def test_an_undeclared_parameter_is_refused(self) -> None:
        with self.assertRaisesRegex(InputError, "parameter 'a' is not in params"):
            parse_activation({"expr": {"kind": "param", "name": "a"}, "params": {}}, "fn")

    def test_wrong_arity_is_refused(self) -> None:
        with self.assertRaisesRegex(InputError, "add takes 2"):
            parse_activation({"expr": call("add", X), "params": {}}, "fn")


if __name__ == "__main__":
    unittest.main()
