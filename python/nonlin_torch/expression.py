"""An activation's syntax tree (src/expr/ast.ts, sent as JSON) interpreted into torch operations
with the language's safe semantics, op for op as src/expr/compile.ts builds them for jax-js — so
values and gradients agree to float rounding. Nothing is exec'd or eval'd.

Gradients at ties follow jax-js's rules: max(a, b) and min(a, b) send the whole gradient to ``a``
when a = b (so relu(x) = max(x, 0) has slope 1 at 0), abs has slope 1 at 0 (it is
where(x < 0, −x, x)), amax shares the gradient equally among tied maxima.

Literals: inside ``jit``, jax-js turns a JavaScript number passed to an operation into a float32
constant (docs/engine.md), so a float64 trial step on the jax engine clamps at float32(1e-7),
takes a mean with float32(1/n) and so on; the op-by-op pass (float64 validation and predictions)
uses the exact numbers. ``Literals(jit=True)`` reproduces the first, ``jit=False`` the second.
Constants of the expression itself (``const`` nodes) are exact either way (they are arrays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Sequence

import numpy as np
import torch

from .errors import InputError

UNARY_OPS = (
    "neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sinh", "cosh", "asinh", "atan",
    "sigmoid", "erf", "softplus", "relu", "step", "sign", "gaussian", "sinc", "stopgrad",
)  # fmt: skip
BINARY_OPS = ("add", "mul", "div", "max", "min", "surrogate")
TERNARY_OPS = ("where",)
STAT_OPS = ("mean", "var", "std", "rms", "amax")
STAT_AXES = ("feature", "batch", "instance")
SHARINGS = ("scalar", "channel", "neuron")

SAFE_EPSILON = 1e-7
"""The smallest magnitude a safe denominator, logarithm or square root sees (src/expr/ast.ts)."""
ERF_SERIES_LIMIT = 2.5
ERF_SERIES_TERMS = 42
ERF_FRACTION_DEPTH = 42
SINC_TAYLOR_LIMIT = 1e-4


@dataclass(frozen=True)
class Literals:
    """How JavaScript number literals of the jax-js code are rounded (see the module's note)."""

    jit: bool
    dtype: torch.dtype

    def __call__(self, value: float) -> float:
        if self.jit and self.dtype == torch.float64:
            return float(np.float32(value))
        return float(value)


@dataclass(frozen=True)
class ParamSpec:
    init: float
    learnable: bool
    sharing: str


@dataclass(frozen=True)
class Activation:
    """A resolved activation: its syntax tree and the parameters it names."""

    expr: Mapping[str, Any]
    params: Dict[str, ParamSpec]

    @property
    def is_identity(self) -> bool:
        return self.expr.get("kind") == "input"


def param_shape(sharing: str, sample_shape: Sequence[int]) -> List[int]:
    """Shape of a parameter for samples of shape ``sample_shape`` (channels last)."""
    if sharing == "scalar":
        return []
    if sharing == "channel":
        return [sample_shape[-1] if sample_shape else 1]
    return list(sample_shape)


def parse_activation(value: Any, field: str) -> Activation:
    """An activation as the Node side sends it, ``{"expr": tree, "params": {...}}``, checked."""
    if not isinstance(value, dict) or "expr" not in value:
        raise InputError(
            f"{field}: expected a resolved activation {{expr, params}}, got {type(value).__name__}"
        )
    raw = value.get("params") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{field}.params must be an object")
    params: Dict[str, ParamSpec] = {}
    for name, spec in raw.items():
        where = f"{field}.params.{name}"
        if not isinstance(spec, dict):
            raise InputError(f"{where} must be an object with init, learnable and sharing")
        init, learnable, sharing = spec.get("init"), spec.get("learnable"), spec.get("sharing")
        if not isinstance(init, (int, float)) or isinstance(init, bool):
            raise InputError(f"{where}.init must be a number")
        if not isinstance(learnable, bool):
            raise InputError(f"{where}.learnable must be true or false")
        if sharing not in SHARINGS:
            raise InputError(f"{where}.sharing must be one of {', '.join(SHARINGS)}")
        params[name] = ParamSpec(float(init), learnable, sharing)
    _check(value["expr"], f"{field}.expr", params)
    return Activation(value["expr"], params)


def _check(node: Any, where: str, params: Mapping[str, ParamSpec]) -> None:
    """Validates a tree before it is run, naming the node's path."""
    if not isinstance(node, dict):
        raise InputError(f"{where}: a node must be an object")
    kind = node.get("kind")
    if kind == "input":
        return
    if kind == "const":
        if not isinstance(node.get("value"), (int, float)) or isinstance(node.get("value"), bool):
            raise InputError(f"{where}.value must be a number")
        return
    if kind == "param":
        if node.get("name") not in params:
            raise InputError(f"{where}: parameter '{node.get('name')}' is not in params")
        return
    if kind == "pow":
        exponent = node.get("exponent")
        if not isinstance(exponent, int) or isinstance(exponent, bool):
            raise InputError(f"{where}.exponent must be an integer")
        _check(node.get("base"), f"{where}.base", params)
        return
    if kind == "stat":
        if node.get("op") not in STAT_OPS:
            raise InputError(f"{where}.op: '{node.get('op')}' is not a statistic")
        if node.get("axis") not in STAT_AXES:
            raise InputError(f"{where}.axis must be one of {', '.join(STAT_AXES)}")
        _check(node.get("arg"), f"{where}.arg", params)
        return
    if kind == "call":
        op, args = node.get("op"), node.get("args")
        arity = 1 if op in UNARY_OPS else 2 if op in BINARY_OPS else 3 if op in TERNARY_OPS else 0
        if arity == 0:
            raise InputError(f"{where}.op: '{op}' is not an operation of the language")
        if not isinstance(args, list) or len(args) != arity:
            raise InputError(f"{where}.args: {op} takes {arity} argument(s)")
        for i, arg in enumerate(args):
            _check(arg, f"{where}.args[{i}]", params)
        return
    raise InputError(f"{where}.kind: '{kind}' is not a node kind")


def _max(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """jax-js's max: the gradient goes to ``a`` at a tie."""
    return torch.where(a < b, b, a)


def _min(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(b < a, b, a)


# The most negative number of each dtype above zero's neighbourhood: x > -2^-149 (float32) holds
# exactly for x >= 0 (−0 included) among the dtype's numbers.
_BELOW_ZERO = {torch.float32: -(2.0**-149), torch.float64: -(2.0**-1074)}


class _Relu(torch.autograd.Function):
    """relu(x) = max(x, 0) as _max computes it (x at a tie, NaN kept), with the gradient 1 where
    x >= 0. Forward is clamp_min; backward is threshold_backward (grad where x > −2^-149, the
    same mask), a vectorised kernel: the where() of clamp_min's own backward is not vectorised
    in torch 1.13 and was a quarter of a small CNN's step (docs/benchmarks.md)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return torch.clamp_min(x, 0.0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return torch.ops.aten.threshold_backward(grad, x, _BELOW_ZERO[x.dtype])


def _abs(a: torch.Tensor) -> torch.Tensor:
    return torch.where(a < 0, -a, a)


def _reduction_axes(axis: str, ndim: int) -> List[int]:
    if axis == "feature":
        return [ndim - 1]
    if axis == "batch":
        return [0] if ndim == 1 else list(range(ndim - 1))
    return [0] if ndim == 1 else list(range(1, ndim))


class Evaluator:
    """Evaluates one tree on ``x`` with parameter tensors by name."""

    def __init__(
        self, x: torch.Tensor, params: Mapping[str, torch.Tensor], literals: Literals
    ) -> None:
        self.x = x
        self.params = params
        self.lit = literals
        self.dtype = x.dtype
        self.device = x.device

    def constant(self, value: float) -> torch.Tensor:
        return torch.tensor(value, dtype=self.dtype, device=self.device)

    def evaluate(self, node: Mapping[str, Any]) -> torch.Tensor:
        kind = node["kind"]
        if kind == "input":
            return self.x
        if kind == "const":
            return self.constant(float(node["value"]))
        if kind == "param":
            return self.params[node["name"]]
        if kind == "pow":
            return self.power(self.evaluate(node["base"]), int(node["exponent"]))
        if kind == "stat":
            return self.statistic(node["op"], node["axis"], self.evaluate(node["arg"]))
        args = [self.evaluate(arg) for arg in node["args"]]
        return self.call(node["op"], args)

    def power(self, base: torch.Tensor, exponent: int) -> torch.Tensor:
        """Repeated squaring in compile.ts's order; a negative exponent takes the safe reciprocal."""
        if exponent < 0:
            return self.safe_divide(self.constant(1.0), self.power(base, -exponent))
        if exponent == 0:
            return torch.ones_like(base) if base.dim() > 0 else self.constant(1.0)
        result = None
        square = base
        remaining = exponent
        while remaining > 0:
            if remaining % 2 == 1:
                result = square if result is None else result * square
            remaining //= 2
            if remaining > 0:
                square = square * square
        assert result is not None
        return result

    def safe_denominator(self, b: torch.Tensor) -> torch.Tensor:
        eps = self.lit(SAFE_EPSILON)
        return torch.where(
            b >= 0, _max(b, self.constant(eps)), _min(b, self.constant(-eps))
        )

    def safe_divide(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a / self.safe_denominator(b)

    def mean(self, v: torch.Tensor, axes: List[int]) -> torch.Tensor:
        """jax-js's mean: the sum times 1/n."""
        n = 1
        for axis in axes:
            n *= v.shape[axis]
        return v.sum(dim=axes, keepdim=True) * self.lit(1.0 / n)

    def statistic(self, op: str, axis: str, a: torch.Tensor) -> torch.Tensor:
        shape = a.shape
        axes = _reduction_axes(axis, a.dim())
        eps = self.constant(self.lit(SAFE_EPSILON))

        def variance(v: torch.Tensor) -> torch.Tensor:
            centred = v - self.mean(v, axes)
            return self.mean(centred * centred, axes)

        if op == "mean":
            reduced = self.mean(a, axes)
        elif op == "var":
            reduced = variance(a)
        elif op == "std":
            reduced = torch.sqrt(_max(variance(a), eps))
        elif op == "rms":
            reduced = torch.sqrt(_max(self.mean(a * a, axes), eps))
        else:
            reduced = torch.amax(a, dim=axes, keepdim=True)
        return reduced.expand(shape)

    def call(self, op: str, args: List[torch.Tensor]) -> torch.Tensor:
        handler = _CALLS.get(op)
        if handler is not None:
            return handler(self, args)
        raise InputError(f"operation '{op}' has no torch twin")  # guarded by _check

    def sinc(self, a: torch.Tensor) -> torch.Tensor:
        """sin(a)/a with its Taylor form near 0 and a denominator that is never 0."""
        small = _abs(a) < self.lit(SINC_TAYLOR_LIMIT)
        safe = torch.where(small, self.constant(1.0), a)
        ratio = torch.sin(safe) / safe
        taylor = self.constant(1.0) - (a * a) / 6
        return torch.where(small, taylor, ratio)

    def erf64(self, a: torch.Tensor) -> torch.Tensor:
        """erf from elementary operations, as compile.ts's erf64 (src/expr/erf.ts)."""
        magnitude = _abs(a)
        in_series = magnitude < ERF_SERIES_LIMIT
        s = _min(magnitude, self.constant(ERF_SERIES_LIMIT))
        twice_square = (s * s) * 2
        total = self.constant(1.0)
        for n in range(ERF_SERIES_TERMS, -1, -1):
            total = twice_square * total / (2 * n + 3) + 1
        series = torch.exp(-(s * s)) * s * total * self.lit(2 / math.sqrt(math.pi))
        t = _max(magnitude, self.constant(ERF_SERIES_LIMIT))
        tail = t
        for k in range(ERF_FRACTION_DEPTH, 0, -1):
            tail = t + torch.reciprocal(tail) * (k / 2)
        fraction = self.constant(1.0) - torch.exp(-(t * t)) / tail / self.lit(math.sqrt(math.pi))
        return torch.sign(a) * torch.where(in_series, series, fraction)


def _softplus(e: Evaluator, a: torch.Tensor) -> torch.Tensor:
    return _max(a, e.constant(0.0)) + torch.log1p(torch.exp(-_abs(a)))


def jax_sigmoid(a: torch.Tensor) -> torch.Tensor:
    """jax-js's sigmoid: 1/(e^{−x} + 1)."""
    return torch.reciprocal(torch.exp(-a) + 1)


def jax_tanh(a: torch.Tensor) -> torch.Tensor:
    """jax-js's tanh: (e^{−2|x|} − 1)/(e^{−2|x|} + 1) with the sign restored."""
    negsgn = torch.where(a < 0, torch.ones_like(a), -torch.ones_like(a))
    en2x = torch.exp(a * negsgn * 2)
    return (en2x - 1) / (en2x + 1) * negsgn


_CALLS: Dict[str, Callable[[Evaluator, List[torch.Tensor]], torch.Tensor]] = {
    "add": lambda e, v: v[0] + v[1],
    "mul": lambda e, v: v[0] * v[1],
    "div": lambda e, v: e.safe_divide(v[0], v[1]),
    "neg": lambda e, v: -v[0],
    "max": lambda e, v: _max(v[0], v[1]),
    "min": lambda e, v: _min(v[0], v[1]),
    "where": lambda e, v: torch.where(v[0] > 0, v[1], v[2]),
    # forward a, gradient of b: b + stopgrad(a − b)
    "surrogate": lambda e, v: v[1] + (v[0] - v[1]).detach(),
    "stopgrad": lambda e, v: v[0].detach(),
    "abs": lambda e, v: _abs(v[0]),
    "exp": lambda e, v: torch.exp(v[0]),
    "log": lambda e, v: torch.log(_max(_abs(v[0]), e.constant(e.lit(SAFE_EPSILON)))),
    "sqrt": lambda e, v: torch.sqrt(_max(v[0], e.constant(e.lit(SAFE_EPSILON)))),
    "sin": lambda e, v: torch.sin(v[0]),
    "cos": lambda e, v: torch.cos(v[0]),
    "tanh": lambda e, v: jax_tanh(v[0]),
    # sinh, cosh, asinh and sigmoid by jax-js's own formulas
    "sinh": lambda e, v: (torch.exp(v[0]) - torch.reciprocal(torch.exp(v[0]))) * 0.5,
    "cosh": lambda e, v: (torch.exp(v[0]) + torch.reciprocal(torch.exp(v[0]))) * 0.5,
    "asinh": lambda e, v: torch.log(v[0] + torch.sqrt(v[0] * v[0] + 1)),
    "atan": lambda e, v: torch.atan(v[0]),
    "sigmoid": lambda e, v: jax_sigmoid(v[0]),
    "erf": lambda e, v: e.erf64(v[0]) if e.dtype == torch.float64 else torch.erf(v[0]),
    "softplus": lambda e, v: _softplus(e, v[0]),
    "relu": lambda e, v: _Relu.apply(v[0]),
    "step": lambda e, v: torch.where(v[0] > 0, e.constant(1.0), e.constant(0.0)),
    "sign": lambda e, v: torch.sign(v[0]),
    "gaussian": lambda e, v: torch.exp(-(v[0] * v[0])),
    "sinc": lambda e, v: e.sinc(v[0]),
}

missing = set(UNARY_OPS + BINARY_OPS + TERNARY_OPS) - set(_CALLS)
assert not missing, f"operations without a torch twin: {sorted(missing)}"


def evaluate(
    activation: Activation,
    x: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    literals: Literals,
) -> torch.Tensor:
    """The activation applied to ``x`` (shape [batch, ...sample]) with its parameter tensors."""
    if activation.is_identity:
        return x
    result = Evaluator(x, params, literals).evaluate(activation.expr)
    return result.expand(x.shape) if result.shape != x.shape else result
