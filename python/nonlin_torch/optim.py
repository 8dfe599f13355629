"""Optimisers as composable gradient transforms, the same maths in the same order as
src/train/optim/*.ts (Optax's ``init``/``update`` pairs and ``chain``):

  clip the raw gradient → [coupled L2: + λp] → momentum or Adam scaling → [decoupled decay: + λp]
  → per-array learning-rate multipliers → · (−lr(step)),   then p ← p + updates.

A tree is a flat list of tensors (every layer's params in order). ``step`` is the number of
updates applied before this one. Constants are exact in the arrays' dtype, as there (mulScalar).

A state goes to and from a checkpoint by the jax optimiser's leaf paths (``leafPaths`` of
src/train/optim/tree-ops.ts): a chain's states are ``<index>/…``, Adam's ``mu/<param>``,
``nu/<param>``, ``b1Power`` and ``b2Power``, momentum's ``velocity/<param>``, ``<param>`` a
parameter's ``<layer>/<name>``. The maths being the same, either engine's state resumes on either.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from .errors import InputError

Tree = List[torch.Tensor]
Schedule = Callable[[torch.Tensor], torch.Tensor]
HostArrays = Dict[str, np.ndarray]


def _host(tensor: torch.Tensor) -> np.ndarray:
    # a copy: Adam updates its moments in place, and a checkpoint must keep this step's values
    return tensor.detach().to("cpu", torch.float64, copy=True).numpy()


def _like(saved: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """Saved values as a new array of ``like``'s dtype and device (exact: they came from one)."""
    return torch.from_numpy(np.asarray(saved, dtype=np.float64)).to(device=like.device, dtype=like.dtype)


class Transform:
    def init(self, params: Tree) -> Any:
        return ()

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        raise NotImplementedError

    def state_dict(self, state: Any, names: Sequence[str]) -> HostArrays:
        """The state's arrays as float64 on the host by leaf path; ``names`` are the parameters'
        paths (``<layer>/<name>``) in the tree's order. A stateless transform has none."""
        return {}

    def load_state_dict(self, state: Any, saved: Mapping[str, np.ndarray], names: Sequence[str]) -> Any:
        """``state`` (a fresh ``init``, giving dtypes and devices) with the values of ``saved``,
        keyed as ``state_dict`` keys them (``load_optimizer_state`` checks the keys first)."""
        return state


class Chain(Transform):
    """Applies the transforms in order, each to the previous one's updates."""

    def __init__(self, *transforms: Transform) -> None:
        self.transforms = transforms

    def init(self, params: Tree) -> Any:
        return [t.init(params) for t in self.transforms]

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        states = []
        for transform, own in zip(self.transforms, state):
            updates, own = transform.update(updates, own, params, step)
            states.append(own)
        return updates, states

    def state_dict(self, state: Any, names: Sequence[str]) -> HostArrays:
        out: HostArrays = {}
        for index, (transform, own) in enumerate(zip(self.transforms, state)):
            for path, value in transform.state_dict(own, names).items():
                out[f"{index}/{path}"] = value
        return out

    def load_state_dict(self, state: Any, saved: Mapping[str, np.ndarray], names: Sequence[str]) -> Any:
        return [
            transform.load_state_dict(own, _under(saved, f"{index}/"), names)
            for index, (transform, own) in enumerate(zip(self.transforms, state))
        ]


def _under(saved: Mapping[str, np.ndarray], prefix: str) -> Dict[str, np.ndarray]:
    return {path[len(prefix):]: value for path, value in saved.items() if path.startswith(prefix)}


class ClipByGlobalNorm(Transform):
    """g · c / max(‖g‖, c), ‖g‖ the 2-norm over all arrays together (Pascanu et al.)."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = max_norm

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        if not updates:
            return updates, state
        first = updates[0]
        total = torch.zeros((), dtype=first.dtype, device=first.device)
        for u in updates:
            total = total + (u * u).sum()
        limit = torch.tensor(self.max_norm, dtype=first.dtype, device=first.device)
        norm = torch.sqrt(total)
        factor = limit / torch.where(norm < limit, limit, norm)
        return [u * factor for u in updates], state


class AddDecayedWeights(Transform):
    """updates + λ·params; before Adam's scaling an L2 penalty, after it AdamW's decoupled decay."""

    def __init__(self, weight_decay: float) -> None:
        self.weight_decay = weight_decay

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        if self.weight_decay == 0:
            return updates, state
        return [u + p * self.weight_decay for u, p in zip(updates, params)], state


class Trace(Transform):
    """Momentum, PyTorch's form: v ← μv + g; direction v (heavy ball) or g + μv (Nesterov)."""

    def __init__(self, momentum: float, nesterov: bool = False) -> None:
        self.momentum = momentum
        self.nesterov = nesterov

    def init(self, params: Tree) -> Any:
        return [torch.zeros_like(p) for p in params]

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        velocity = [v * self.momentum + g for g, v in zip(updates, state)]
        if not self.nesterov:
            return list(velocity), velocity
        return [g + v * self.momentum for g, v in zip(updates, velocity)], velocity

    def state_dict(self, state: Any, names: Sequence[str]) -> HostArrays:
        return {f"velocity/{name}": _host(v) for name, v in zip(names, state)}

    def load_state_dict(self, state: Any, saved: Mapping[str, np.ndarray], names: Sequence[str]) -> Any:
        return [_like(saved[f"velocity/{name}"], v) for name, v in zip(names, state)]


class ScaleByAdam(Transform):
    """Adam (Kingma & Ba) with bias correction, direction = (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε);
    β₁ᵗ and β₂ᵗ carried as running products, as on the jax side."""

    def __init__(self, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> None:
        self.b1, self.b2, self.eps = b1, b2, eps

    def init(self, params: Tree) -> Any:
        dtype = params[0].dtype if params else torch.float32
        scalar = _host_scalar(dtype)
        return ([torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params], scalar(1), scalar(1))

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        # The same operations in the same order as m·β₁ + g·(1−β₁), v·β₂ + g²·(1−β₂),
        # (m·c₁) / (√(v·c₂) + ε), so the same bits as the jax side, with two savings that a small
        # model's step is made of (docs/benchmarks.md): the moments are updated in place and the
        # direction built in place, and each operation runs on every array in one call (torch's
        # _foreach_ kernels, which torch.optim uses) instead of one Python call per array. The
        # running products β₁ᵗ, β₂ᵗ and the corrections c = 1/(1 − βᵗ) are scalars of the arrays'
        # dtype computed on the host (numpy float32/float64: the same IEEE rounding as a 0-d
        # tensor), so a CUDA step never waits on a device read.
        mu, nu, b1_power, b2_power = state
        if not updates:
            return [], state
        scalar = type(b1_power)
        # the incoming updates are consumed (the raw gradients, or a transform's fresh arrays):
        # g·(1−β₁) is computed in their place, and g² then g²·(1−β₂), then √(v·c₂) + ε, in one
        # further set of arrays — fewer allocations of the parameters' size (about a sixth of a
        # small MLP's epoch, docs/benchmarks.md)
        squares = torch._foreach_mul(updates, updates)
        torch._foreach_mul_(updates, 1 - self.b1)
        torch._foreach_mul_(mu, self.b1)
        torch._foreach_add_(mu, updates)
        torch._foreach_mul_(squares, 1 - self.b2)
        torch._foreach_mul_(nu, self.b2)
        torch._foreach_add_(nu, squares)
        next_b1 = b1_power * scalar(self.b1)
        next_b2 = b2_power * scalar(self.b2)
        mu_correction = float(scalar(1) / (-next_b1 + scalar(1)))
        nu_correction = float(scalar(1) / (-next_b2 + scalar(1)))
        denominators = squares
        for denominator, v in zip(denominators, nu):
            denominator.copy_(v)
        torch._foreach_mul_(denominators, nu_correction)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.eps)
        direction = torch._foreach_mul(mu, mu_correction)
        torch._foreach_div_(direction, denominators)
        return list(direction), (mu, nu, next_b1, next_b2)

    def state_dict(self, state: Any, names: Sequence[str]) -> HostArrays:
        mu, nu, b1_power, b2_power = state
        out = {f"mu/{name}": _host(m) for name, m in zip(names, mu)}
        out.update({f"nu/{name}": _host(v) for name, v in zip(names, nu)})
        # the running products are 0-d arrays on the jax side
        out["b1Power"] = np.asarray(float(b1_power), dtype=np.float64)
        out["b2Power"] = np.asarray(float(b2_power), dtype=np.float64)
        return out

    def load_state_dict(self, state: Any, saved: Mapping[str, np.ndarray], names: Sequence[str]) -> Any:
        mu, nu, b1_power, b2_power = state
        scalar = type(b1_power)
        return (
            [_like(saved[f"mu/{name}"], m) for name, m in zip(names, mu)],
            [_like(saved[f"nu/{name}"], v) for name, v in zip(names, nu)],
            scalar(float(saved["b1Power"])),
            scalar(float(saved["b2Power"])),
        )


def _host_scalar(dtype: torch.dtype) -> Callable[[float], Any]:
    """numpy's scalar type of ``dtype``: host arithmetic rounded as the arrays round."""
    return np.float64 if dtype == torch.float64 else np.float32


class ScaleLeaves(Transform):
    """updates · m per array (a per-parameter learning rate, e.g. ReLinear's)."""

    def __init__(self, factors: Sequence[float]) -> None:
        self.factors = list(factors)

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        return [u if f == 1 else u * f for u, f in zip(updates, self.factors)], state


class ScaleByLearningRate(Transform):
    """updates · (−lr(step)); a schedule gets the step in the updates' dtype."""

    def __init__(self, lr: float, schedule: Optional[Schedule] = None, in_place: bool = False) -> None:
        self.lr = lr
        self.schedule = schedule
        # in place only where the updates are arrays no state holds (not heavy-ball momentum's
        # velocity, which Trace hands on as its updates)
        self.in_place = in_place

    def update(self, updates: Tree, state: Any, params: Tree, step: torch.Tensor) -> Tuple[Tree, Any]:
        if self.schedule is None:
            if self.in_place:
                torch._foreach_mul_(updates, -self.lr)
                return updates, state
            return list(torch._foreach_mul(updates, -self.lr)), state
        if not updates:
            return updates, state
        rate = -self.schedule(step.to(updates[0].dtype))
        return [u * rate.to(u.dtype) for u in updates], state


def load_optimizer_state(
    optimizer: Transform, fresh: Any, saved: Mapping[str, np.ndarray], names: Sequence[str]
) -> Any:
    """The state a checkpoint saved, in the structure of ``fresh`` (this optimiser's ``init``):
    every array it needs must be there with its shape, and nothing else (another optimiser's)."""
    expected = optimizer.state_dict(fresh, names)
    missing = [path for path in expected if path not in saved]
    extra = [path for path in saved if path not in expected]
    if missing or extra:
        what = f"no array {missing[0]} saved" if missing else f"no array {extra[0]} in it"
        raise InputError(f"resume: the optimiser state does not match this optimiser ({what})")
    for path, array in expected.items():
        shape = list(np.shape(saved[path]))
        if shape != list(array.shape):
            raise InputError(
                f"resume: optimiser array {path} has shape {shape}, this optimiser's {list(array.shape)}"
            )
    return optimizer.load_state_dict(fresh, saved, names)


def apply_updates(params: Tree, updates: Tree) -> Tree:
    return [p + u for p, u in zip(params, updates)]


# Schedules (src/train/optim/schedule.ts): step → value as tensor functions, same operations.


def cosine_decay(init: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    def schedule(t: torch.Tensor) -> torch.Tensor:
        t = torch.minimum(t, torch.full_like(t, float(decay_steps)))
        cosine = (torch.cos(t * (math.pi / decay_steps)) + 1) * 0.5
        return cosine * ((1 - alpha) * init) + alpha * init

    return schedule


def exponential_decay(init: float, decay_rate: float, transition_steps: int, staircase: bool) -> Schedule:
    def schedule(t: torch.Tensor) -> torch.Tensor:
        exponent = t * (1 / transition_steps)
        if staircase:
            exponent = torch.floor(exponent)
        return torch.exp(exponent * math.log(decay_rate)) * init

    return schedule


def step_decay(init: float, boundaries: Sequence[int], scales: Any) -> Schedule:
    factors = [float(scales)] * len(boundaries) if isinstance(scales, (int, float)) else list(scales)

    def schedule(t: torch.Tensor) -> torch.Tensor:
        value = t * 0 + init
        for boundary, scale in zip(boundaries, factors):
            hit = (t >= boundary).to(t.dtype)
            value = value * (hit * scale + (-hit + 1))
        return value

    return schedule


def warmup_cosine(init: float, peak: float, warmup_steps: int, decay_steps: int, end: float) -> Schedule:
    cosine_steps = decay_steps - warmup_steps

    def schedule(t: torch.Tensor) -> torch.Tensor:
        progress = torch.clamp(t - warmup_steps, 0, cosine_steps)
        cosine = torch.cos(progress * (math.pi / cosine_steps)) + 1
        decayed = cosine * (0.5 * (peak - end)) + end
        if warmup_steps == 0:
            return decayed
        warming = t * ((peak - init) / warmup_steps) + init
        in_decay = (t >= warmup_steps).to(t.dtype)
        return in_decay * decayed + (-in_decay + 1) * warming

    return schedule


def _get(spec: Mapping[str, Any], name: str, where: str, default: Any = None) -> Any:
    value = spec.get(name, default)
    if value is None:
        raise InputError(f"{where}.{name} is missing")
    return value


def make_schedule(spec: Mapping[str, Any], lr: float, where: str) -> Optional[Schedule]:
    """The schedule of an ``optimizer.schedule`` field (defaults filled in by the Node side)."""
    name = spec.get("name", "constant")
    if name == "constant":
        return None
    if name == "cosine":
        return cosine_decay(lr, int(_get(spec, "decay_steps", where)), float(spec.get("alpha", 0)))
    if name == "exponential":
        return exponential_decay(
            lr,
            float(_get(spec, "decay_rate", where)),
            int(_get(spec, "transition_steps", where)),
            bool(spec.get("staircase", False)),
        )
    if name == "step":
        return step_decay(lr, [int(b) for b in _get(spec, "boundaries", where)], spec.get("scales", 0.1))
    if name == "warmup_cosine":
        return warmup_cosine(
            float(spec.get("init_lr", 0)),
            lr,
            int(_get(spec, "warmup_steps", where)),
            int(_get(spec, "decay_steps", where)),
            float(spec.get("end_lr", 0)),
        )
    raise InputError(f"{where}.name: unknown schedule '{name}'")


def make_optimizer(
    spec: Mapping[str, Any], multipliers: Optional[Sequence[float]] = None, where: str = "optimizer"
) -> Transform:
    """The transform an ``optimizer:`` spec describes, in makeOptimizer's order (spec.ts)."""
    if not isinstance(spec, Mapping):
        raise InputError(f"{where} must be an object")
    name = spec.get("name")
    defaults = {"sgd": 1e-2, "adam": 1e-3, "adamw": 1e-3}
    if name not in defaults:
        raise InputError(f"{where}.name must be sgd, adam or adamw, got {name!r}")
    lr = float(spec.get("lr", defaults[name]))
    parts: List[Transform] = []
    if spec.get("clip_norm") is not None:
        parts.append(ClipByGlobalNorm(float(spec["clip_norm"])))
    betas = spec.get("betas", [0.9, 0.999])
    eps = float(spec.get("eps", 1e-8))
    if name == "sgd":
        weight_decay = float(spec.get("weight_decay", 0))
        if weight_decay > 0:
            parts.append(AddDecayedWeights(weight_decay))
        momentum = float(spec.get("momentum", 0))
        if momentum > 0:
            parts.append(Trace(momentum, bool(spec.get("nesterov", False))))
    elif name == "adam":
        weight_decay = float(spec.get("weight_decay", 0))
        if weight_decay > 0:
            parts.append(AddDecayedWeights(weight_decay))
        parts.append(ScaleByAdam(float(betas[0]), float(betas[1]), eps))
    else:
        parts.append(ScaleByAdam(float(betas[0]), float(betas[1]), eps))
        weight_decay = float(spec.get("weight_decay", 1e-2))
        if weight_decay > 0:
            parts.append(AddDecayedWeights(weight_decay))
    if multipliers is not None:
        parts.append(ScaleLeaves(multipliers))
    schedule = make_schedule(spec.get("schedule") or {"name": "constant"}, lr, f"{where}.schedule")
    holds_updates = any(isinstance(part, Trace) and not part.nesterov for part in parts)
    parts.append(ScaleByLearningRate(lr, schedule, in_place=not holds_updates))
    return Chain(*parts)
