"""The trial protocol's gradient phase on torch, step for step as ``fitGradient``
(src/train/gradient-fit.ts): shuffled mini-batches in ``batch_order``, one optimiser update a batch,
per epoch the mean training loss (each batch's mean weighted by its rows) and the validation loss;
the parameters of the epoch with the lowest validation loss are kept (the last epoch's without a
validation split); patience and a wall-clock budget end training early.

The training step reproduces the jax engine's jitted step (float32-rounded literals, see
expression.py); validation losses and outputs its op-by-op pass (exact literals).

A training can hand its ``Progress`` out between epochs and stop there, and go on from one as if
it never stopped (``TrainingRequest.resume`` and ``checkpoints`` of src/train/trial-engine.ts).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np
import torch

from .errors import InputError
from .expression import Literals
from .losses import LOSSES
from .model import Model
from .optim import load_optimizer_state, make_optimizer
from .shuffle import batch_order


@dataclass
class Split:
    """A split on the training device: x [rows, ...inputShape], y [rows, outputs]."""

    x: torch.Tensor
    y: torch.Tensor

    @property
    def rows(self) -> int:
        return int(self.x.shape[0])


@dataclass
class EpochOutcome:
    epoch: int
    train_loss: float
    val_loss: Optional[float] = None
    val_outputs: Optional[np.ndarray] = None


@dataclass
class Progress:
    """Where a training stands after an epoch (``TrainingProgress``), less the model's arrays,
    which are the model's own: epochs finished, optimiser updates applied (the schedule's
    position), the optimiser's arrays by the jax optimiser's leaf paths, and the epoch selection
    so far. The batch order needs no RNG state: epoch e's is ``batch_order(rows, seed, e)``."""

    epochs: int
    steps: int
    since_best: int
    optimizer: Dict[str, np.ndarray]
    best_val_loss: Optional[float] = None
    # the selected epoch's parameters by ``<layer>/<name>`` (float64 on the host)
    best: Optional[Dict[str, np.ndarray]] = None


@dataclass
class Checkpoints:
    """Where the progress goes between epochs: after every ``every`` epochs (0: only on a stop),
    and when ``stop_requested`` says so, after which the training ends with ``TrainingStopped``."""

    every: int
    stop_requested: Callable[[], bool]
    save: Callable[[Progress], None]


class TrainingStopped(Exception):
    """The training stopped between epochs because it was asked to, after its progress was saved."""

    def __init__(self, epochs: int) -> None:
        super().__init__(f"training stopped after epoch {epochs}")
        self.epochs = epochs


@dataclass(frozen=True)
class GradientPhase:
    optimizer: Mapping[str, Any]
    epochs: int
    batch_size: int
    shuffle: bool
    patience: int


def _int_field(phase: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    value = phase.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(f"phase.{name} must be an integer >= {minimum}, got {value!r}")
    return value


def parse_phase(phase: Any) -> GradientPhase:
    if not isinstance(phase, Mapping):
        raise InputError("phase must be an object (a gradient phase)")
    kind = phase.get("kind", "gradient")
    if kind != "gradient":
        raise InputError(
            f"phase.kind: the {kind} phase is not available on the torch engine; --engine jax runs it"
        )
    shuffle = phase.get("shuffle", True)
    if not isinstance(shuffle, bool):
        raise InputError(f"phase.shuffle must be true or false, got {shuffle!r}")
    return GradientPhase(
        optimizer=phase.get("optimizer") or {"name": "adam"},
        epochs=_int_field(phase, "epochs", 100, 1),
        batch_size=_int_field(phase, "batch_size", 0, 0),
        shuffle=shuffle,
        patience=_int_field(phase, "patience", 0, 0),
    )


def loss_function(name: Any) -> Callable[[torch.Tensor, torch.Tensor, Literals], torch.Tensor]:
    if name not in LOSSES:
        raise InputError(f"loss must be one of {', '.join(LOSSES)}, got {name!r}")
    return LOSSES[name]


def evaluation_slices(rows: int, batch_rows: Optional[int]) -> List[Tuple[int, int]]:
    """(start, count) of each evaluation batch: ``evaluationSlices`` of src/train/forward.ts. The
    Node side sends the jax engine's ``evaluationRows`` for the model (None: one pass), so both
    engines score a split in the same batches and bound their memory the same way."""
    if batch_rows is None or batch_rows >= rows:
        return [(0, rows)]
    return [(start, min(batch_rows, rows - start)) for start in range(0, rows, batch_rows)]


def split_loss(model: Model, split: Split, loss: str, batch_rows: Optional[int] = None) -> float:
    """Mean loss on a whole split as the jax engine's evaluation pass computes it (``splitLoss``):
    the batches' means weighted by their rows, in float64; a split that fits is one pass."""
    literals = Literals(jit=False, dtype=model.dtype)
    function = loss_function(loss)
    total = 0.0
    with torch.no_grad():
        for start, count in evaluation_slices(split.rows, batch_rows):
            x, y = split.x[start : start + count], split.y[start : start + count]
            mean = float(function(model(x, literals), y, literals).item())
            if count == split.rows:
                return mean
            total += mean * count
    return total / split.rows


def outputs_of(model: Model, x: torch.Tensor, batch_rows: Optional[int] = None) -> np.ndarray:
    """The model's outputs as float64 on the host (the evaluation pass's literals), computed in
    evaluation batches (rows are independent there, so the values are those of one pass)."""
    literals = Literals(jit=False, dtype=model.dtype)
    rows = int(x.shape[0])
    with torch.no_grad():
        parts = [
            model(x[start : start + count], literals).detach().to("cpu", torch.float64).numpy()
            for start, count in evaluation_slices(rows, batch_rows)
        ]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)


def _resumed_best(resume: Progress, paths: List[str], params: List[torch.Tensor]) -> Optional[List[torch.Tensor]]:
    """The selected epoch's parameters a progress saved, as arrays like ``params``."""
    if resume.best is None:
        return None
    kept: List[torch.Tensor] = []
    for path, p in zip(paths, params):
        saved = resume.best.get(path)
        if saved is None:
            raise InputError(f"resume: the selected epoch's parameter {path} was not sent")
        if list(np.shape(saved)) != list(p.shape):
            raise InputError(
                f"resume: the selected epoch's parameter {path} has shape {list(np.shape(saved))}, "
                f"the model's {list(p.shape)}"
            )
        kept.append(torch.from_numpy(np.asarray(saved, dtype=np.float64)).to(p.device, p.dtype))
    return kept


def _weighted_mean(batch_losses: List[torch.Tensor], rows: int, batch_size: int) -> float:
    """The epoch's training loss: each batch's mean weighted by its rows, summed in order in
    float64 (the last batch may be short)."""
    if not batch_losses:
        return math.nan
    values = torch.stack(batch_losses).to("cpu", torch.float64).tolist()
    total = 0.0
    for b, value in enumerate(values):
        total += value * (min((b + 1) * batch_size, rows) - b * batch_size)
    return total / rows


def fit_gradient(
    model: Model,
    train: Split,
    val: Optional[Split],
    phase: GradientPhase,
    loss: str,
    seed: int,
    seconds: Optional[float] = None,
    on_epoch: Optional[Callable[[EpochOutcome], None]] = None,
    val_outputs_each_epoch: bool = False,
    evaluation_rows: Optional[int] = None,
    resume: Optional[Progress] = None,
    checkpoints: Optional[Checkpoints] = None,
) -> float:
    """Trains ``model`` in place, leaves it at the selected parameters, and returns the seconds of
    evaluation (the per-epoch validation outputs) that were not training. With ``resume`` the
    model holds that progress's parameters and buffers, and training goes on from its epoch."""
    data_loss = loss_function(loss)
    step_literals = Literals(jit=True, dtype=model.dtype)
    params = model.params()
    paths = model.param_paths()
    optimizer = make_optimizer(phase.optimizer, model.multipliers(), "phase.optimizer")
    with torch.no_grad():
        opt_state = optimizer.init([p.detach() for p in params])
    rows = train.rows
    batch_size = min(phase.batch_size, rows) if phase.batch_size > 0 else rows
    batches = math.ceil(rows / batch_size)
    best: Optional[List[torch.Tensor]] = None
    best_loss = math.inf
    since_best = 0
    step_count = 0
    first_epoch = 0
    if resume is not None:
        opt_state = load_optimizer_state(optimizer, opt_state, resume.optimizer, paths)
        best = _resumed_best(resume, paths, params)
        if best is not None:
            best_loss = resume.best_val_loss if resume.best_val_loss is not None else math.nan
        since_best, step_count, first_epoch = resume.since_best, resume.steps, resume.epochs

    def progress_after(epochs: int) -> Progress:
        progress = Progress(epochs, step_count, since_best, optimizer.state_dict(opt_state, paths))
        if best is not None:
            progress.best_val_loss = best_loss
            progress.best = {
                path: kept.to("cpu", torch.float64, copy=True).numpy() for path, kept in zip(paths, best)
            }
        return progress

    evaluation_seconds = 0.0
    started = time.perf_counter()
    for epoch in range(first_epoch, phase.epochs):
        if seconds is not None and time.perf_counter() - started >= seconds:
            break
        order = batch_order(rows, seed, epoch) if phase.shuffle else list(range(rows))
        order_t = torch.tensor(order, dtype=torch.long, device=train.x.device)
        batch_losses: List[torch.Tensor] = []
        for b in range(batches):
            ids = order_t[b * batch_size : min((b + 1) * batch_size, rows)]
            xb, yb = train.x[ids], train.y[ids]
            value = data_loss(model(xb, step_literals), yb, step_literals)
            grads = torch.autograd.grad(value, params, allow_unused=True) if params else ()
            with torch.no_grad():
                current = [p.detach() for p in params]
                full = [g if g is not None else torch.zeros_like(p) for g, p in zip(grads, current)]
                step = torch.tensor(float(step_count), dtype=model.dtype, device=train.x.device)
                updates, opt_state = optimizer.update(full, opt_state, current, step)
                if params:
                    torch._foreach_add_(params, updates)  # p + u, in place, every array in one call
            # kept on the device and read once an epoch: no device read (on CUDA a
            # synchronisation) every step
            batch_losses.append(value.detach())
            step_count += 1
        outcome = EpochOutcome(epoch=epoch, train_loss=_weighted_mean(batch_losses, rows, batch_size))
        if val is not None and val.rows > 0:
            outcome.val_loss = split_loss(model, val, loss, evaluation_rows)
            if best is None or outcome.val_loss < best_loss:
                best = [p.detach().clone() for p in params]
                best_loss = outcome.val_loss
                since_best = 0
            else:
                since_best += 1
            if val_outputs_each_epoch:
                # scoring the curve is reporting, not training: left out of s/epoch
                eval_start = time.perf_counter()
                outcome.val_outputs = outputs_of(model, val.x, evaluation_rows)
                evaluation_seconds += time.perf_counter() - eval_start
        if on_epoch is not None:
            on_epoch(outcome)
        if not math.isfinite(outcome.train_loss):
            break
        if phase.patience > 0 and since_best >= phase.patience:
            break
        # the phase's end is its caller's checkpoint; a checkpoint here is one the phase goes on
        # from (fitGradient's rule)
        if checkpoints is not None and epoch + 1 < phase.epochs:
            stop = checkpoints.stop_requested()
            if stop or (checkpoints.every > 0 and (epoch + 1) % checkpoints.every == 0):
                checkpoints.save(progress_after(epoch + 1))
            if stop:
                raise TrainingStopped(epoch + 1)
    if best is not None:
        with torch.no_grad():
            for p, kept in zip(params, best):
                p.copy_(kept)
    return evaluation_seconds
