"""A training stopped between epochs and resumed from its progress goes on as if it never stopped
(fit_gradient's ``checkpoints`` and ``resume``; the worker's ``progress``, ``stopped`` and
``resume``)."""

import io
import math
import unittest
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.model import Model
from nonlin_torch.optim import load_optimizer_state, make_optimizer
from nonlin_torch.protocol import encode_message, read_message
from nonlin_torch.trial import Checkpoints, EpochOutcome, Progress, Split, TrainingStopped, fit_gradient, parse_phase
from nonlin_torch.worker import main

TANH = {"expr": {"kind": "call", "op": "tanh", "args": [{"kind": "input"}]}, "params": {}}
IDENTITY = {"expr": {"kind": "input"}, "params": {}}
LAYERS = [{"type": "dense", "units": 5, "activation": TANH}, {"type": "dense", "units": 1, "activation": IDENTITY}]
OPTIMIZERS = {
    "adam": {"name": "adam", "lr": 0.05, "schedule": {"name": "cosine", "decay_steps": 40}},
    "sgd-momentum": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "clip_norm": 1.0},
}


def init_arrays(seed: int = 0) -> Dict[str, np.ndarray]:
    gen = np.random.default_rng(seed)
    return {"init/0/params/w": gen.normal(size=(2, 5)), "init/0/params/b": np.zeros(5),
            "init/1/params/w": gen.normal(size=(5, 1)), "init/1/params/b": np.zeros(1)}


def model(arrays: Optional[Dict[str, np.ndarray]] = None) -> Model:
    m = Model(LAYERS, [2], torch.float64)
    m.load_arrays(arrays if arrays is not None else init_arrays())
    return m


def split(rows: int, seed: int) -> Split:
    gen = np.random.default_rng(seed)
    x = torch.tensor(gen.normal(size=(rows, 2)))
    return Split(x, torch.sin(2 * x[:, :1]) - x[:, 1:])


def phase(optimizer: str, **fields: Any) -> Any:
    return parse_phase(dict({"kind": "gradient", "optimizer": OPTIMIZERS[optimizer], "epochs": 12, "batch_size": 8, "shuffle": True, "patience": 0}, **fields))


def run(m: Model, p: Any, **kwargs: Any) -> List[EpochOutcome]:
    outcomes: List[EpochOutcome] = []
    fit_gradient(m, split(30, 1), split(10, 2), p, "mse", 7, on_epoch=outcomes.append, **kwargs)
    return outcomes


def values(m: Model) -> Dict[str, np.ndarray]:
    return {k: v.copy() for k, v in m.state_arrays().items()}


class ResumeTest(unittest.TestCase):
    def test_stopped_and_resumed_equals_uninterrupted(self) -> None:
        for name in OPTIMIZERS:
            # with patience 8 the selected epoch is before the stop and the training ends early after
            # it: the resumed run must carry both the selected parameters and the count since
            for extra in ({}, {"patience": 8, "epochs": 40}):
                with self.subTest(optimizer=name, **extra):
                    p = phase(name, **extra)
                    whole = model()
                    expected = run(whole, p)
                    saved: List[Tuple[Progress, Dict[str, np.ndarray]]] = []
                    first = model()
                    stop_at = 5
                    polls: List[int] = []

                    def stop_requested() -> bool:
                        # polled once after each epoch but the last
                        polls.append(1)
                        return len(polls) == stop_at

                    with self.assertRaises(TrainingStopped) as stopped:
                        run(first, p, checkpoints=Checkpoints(
                            every=2,
                            stop_requested=stop_requested,
                            save=lambda progress: saved.append((progress, values(first)))))
                    self.assertEqual(stopped.exception.epochs, stop_at)
                    # every 2 epochs, then at the stop
                    self.assertEqual([s[0].epochs for s in saved], [2, 4, 5])
                    progress, state = saved[-1]
                    self.assertEqual(progress.steps, stop_at * 4)  # 30 rows in batches of 8
                    resumed = model({f"init/{k}": v for k, v in state.items()})
                    rest = run(resumed, p, resume=progress)
                    self.assertEqual([o.epoch for o in rest], [o.epoch for o in expected[stop_at:]])
                    if extra:
                        self.assertLess(len(expected), 40)
                    self.assertEqual([(o.train_loss, o.val_loss) for o in rest],
                                     [(o.train_loss, o.val_loss) for o in expected[stop_at:]])
                    for key, value in values(whole).items():
                        np.testing.assert_array_equal(values(resumed)[key], value, err_msg=key)

    def test_the_last_epoch_hands_no_progress_out_and_ignores_a_stop(self) -> None:
        saved: List[Progress] = []
        outcomes = run(model(), phase("adam", epochs=4), checkpoints=Checkpoints(every=2, stop_requested=lambda: False, save=saved.append))
        self.assertEqual(([p.epochs for p in saved], len(outcomes)), ([2], 4))
        # the phase's end is the caller's checkpoint: a stop asked during the last epoch is not one
        outcomes = run(model(), phase("adam", epochs=1), checkpoints=Checkpoints(every=1, stop_requested=lambda: True, save=saved.append))
        self.assertEqual(([p.epochs for p in saved], len(outcomes)), ([2], 1))

    def test_progress_names_the_jax_optimisers_leaf_paths(self) -> None:
        saved: List[Progress] = []
        run(model(), phase("adam"), checkpoints=Checkpoints(every=5, stop_requested=lambda: False, save=saved.append))
        # clip? no; adam's chain: scale_by_adam (0), scale_leaves (1), learning rate (2)
        self.assertEqual(sorted(saved[0].optimizer), sorted(
            [f"0/{m}/{p}" for m in ("mu", "nu") for p in ("0/w", "0/b", "1/w", "1/b")] + ["0/b1Power", "0/b2Power"]))
        self.assertEqual(saved[0].optimizer["0/b1Power"].shape, ())
        # running products over 5 epochs × 4 steps, as both sides keep them
        b1_power = 1.0
        for _ in range(20):
            b1_power *= 0.9
        self.assertEqual(float(saved[0].optimizer["0/b1Power"]), b1_power)
        self.assertEqual(sorted(saved[0].best or {}), ["0/b", "0/w", "1/b", "1/w"])
        sgd: List[Progress] = []
        run(model(), phase("sgd-momentum"), checkpoints=Checkpoints(every=5, stop_requested=lambda: False, save=sgd.append))
        # clip (0, stateless), trace (1), scale_leaves (2), learning rate (3)
        self.assertEqual(sorted(sgd[0].optimizer), sorted(f"1/velocity/{p}" for p in ("0/w", "0/b", "1/w", "1/b")))

    def test_another_optimisers_state_is_refused_naming_the_array(self) -> None:
        m = model()
        adam = make_optimizer(OPTIMIZERS["adam"], m.multipliers())
        fresh = adam.init([p.detach() for p in m.params()])
        paths = m.param_paths()
        momentum = {f"1/velocity/{p}": np.zeros(1) for p in paths}
        with self.assertRaisesRegex(InputError, r"the optimiser state does not match this optimiser \(no array 0/mu/0/w saved\)"):
            load_optimizer_state(adam, fresh, momentum, paths)
        state = adam.state_dict(fresh, paths)
        state["0/mu/0/w"] = np.zeros((3, 3))
        with self.assertRaisesRegex(InputError, r"optimiser array 0/mu/0/w has shape \[3, 3\], this optimiser's \[2, 5\]"):
            load_optimizer_state(adam, fresh, state, paths)


def converse(requests: List[Tuple[Dict[str, Any], Optional[Dict[str, np.ndarray]]]]) -> List[Tuple[Dict[str, Any], Dict[str, np.ndarray]]]:
    stdin = io.BytesIO(b"".join(encode_message(h, a) for h, a in requests))
    stdout = io.BytesIO()
    assert main(stdin, stdout) == 0
    stdout.seek(0)
    answers = []
    while (message := read_message(stdout)) is not None:
        answers.append(message)
    return answers


def data(key: str, rows: int, seed: int) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    s = split(rows, seed)
    return {"type": "data", "id": 0, "key": key}, {"x": s.x.numpy(), "y": s.y.numpy()}


TRAIN = {"layers": LAYERS, "inputShape": [2], "dtype": "float64", "loss": "mse",
         "phase": {"kind": "gradient", "optimizer": OPTIMIZERS["adam"], "epochs": 6, "batch_size": 8, "shuffle": True, "patience": 0},
         "train": "t", "val": "v", "seed": 7, "valOutputsEachEpoch": False, "device": "cpu"}


class WorkerResumeTest(unittest.TestCase):
    def test_progress_answers_resume_to_the_uninterrupted_training(self) -> None:
        answers = converse([
            data("t", 30, 1), data("v", 10, 2),
            ({"type": "train", "id": 1, "request": TRAIN}, init_arrays()),
            ({"type": "state", "id": 2, "model": 1}, None),
            ({"type": "train", "id": 3, "request": dict(TRAIN, checkpoint={"every": 4})}, init_arrays()),
        ])
        whole = next(a for h, a in answers if h["type"] == "state")
        progress = [(h, a) for h, a in answers if h["type"] == "progress"]
        self.assertEqual([h["epochs"] for h, _ in progress], [4])  # not after the last epoch
        header, arrays = progress[0]
        self.assertEqual((header["id"], header["steps"], header["sinceBest"] >= 0), (3, 16, True))
        self.assertIn("bestValLoss", header)
        resume = {"epochs": header["epochs"], "steps": header["steps"], "sinceBest": header["sinceBest"], "bestValLoss": header["bestValLoss"]}
        sent = {f"init/{k[len('state/'):]}": v for k, v in arrays.items() if k.startswith("state/")}
        sent.update({f"resume/{k}": v for k, v in arrays.items() if not k.startswith("state/")})
        resumed = converse([
            data("t", 30, 1), data("v", 10, 2),
            ({"type": "train", "id": 1, "request": dict(TRAIN, resume=resume)}, sent),
            ({"type": "state", "id": 2, "model": 1}, None),
        ])
        self.assertEqual([h["epoch"] for h, _ in resumed if h["type"] == "epoch"], [4, 5])
        state = next(a for h, a in resumed if h["type"] == "state")
        self.assertEqual(sorted(state), sorted(whole))
        for key in whole:
            np.testing.assert_array_equal(state[key], whole[key], err_msg=key)

    def test_a_bad_resume_is_input(self) -> None:
        answers = converse([
            data("t", 30, 1), data("v", 10, 2),
            ({"type": "train", "id": 1, "request": dict(TRAIN, resume={"epochs": -1, "steps": 0, "sinceBest": 0})}, init_arrays()),
            ({"type": "train", "id": 2, "request": dict(TRAIN, resume={"epochs": 2, "steps": 8, "sinceBest": 0})}, init_arrays()),
            ({"type": "train", "id": 3, "request": dict(TRAIN, checkpoint={"every": "2"})}, init_arrays()),
        ])
        errors = {h["id"]: (h["kind"], h["message"]) for h, _ in answers if h["type"] == "error"}
        self.assertEqual(errors[1], ("input", "request.resume.epochs must be a non-negative integer, got -1"))
        self.assertEqual(errors[2], ("input", "resume: the optimiser state does not match this optimiser (no array 0/mu/0/w saved)"))
        self.assertEqual(errors[3], ("input", "request.checkpoint.every must be a non-negative integer, got '2'"))


if __name__ == "__main__":
    unittest.main()
