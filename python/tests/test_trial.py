import math
import unittest
from typing import Any, Dict, List

import numpy as np
import torch

from nonlin_torch.errors import InputError
from nonlin_torch.expression import Literals
from nonlin_torch.model import Model
from nonlin_torch.trial import EpochOutcome, Split, evaluation_slices, fit_gradient, outputs_of, parse_phase, split_loss

IDENTITY = {"expr": {"kind": "input"}, "params": {}}
RELU = {"expr": {"kind": "call", "op": "relu", "args": [{"kind": "input"}]}, "params": {}}


def model(seed: int = 0) -> Model:
    m = Model([{"type": "dense", "units": 4, "activation": RELU}, {"type": "dense", "units": 1, "activation": IDENTITY}], [2], torch.float64)
    gen = np.random.default_rng(seed)
    m.load_arrays({"init/0/params/w": gen.normal(size=(2, 4)), "init/0/params/b": np.zeros(4),
                   "init/1/params/w": gen.normal(size=(4, 1)), "init/1/params/b": np.zeros(1)})
    return m


def split(rows: int, seed: int) -> Split:
    gen = np.random.default_rng(seed)
    x = torch.tensor(gen.normal(size=(rows, 2)))
    return Split(x, (x[:, :1] - 2 * x[:, 1:]) ** 2)


def phase(**fields: Any) -> Any:
    base: Dict[str, Any] = {"kind": "gradient", "optimizer": {"name": "adam", "lr": 0.05}, "epochs": 8, "batch_size": 4, "shuffle": True, "patience": 0}
    return parse_phase(dict(base, **fields))


def train(m: Model, **kwargs: Any) -> List[EpochOutcome]:
    outcomes: List[EpochOutcome] = []
    fit_gradient(m, kwargs.pop("train", split(10, 1)), kwargs.pop("val", split(6, 2)), kwargs.pop("phase", phase()), "mse", 5, on_epoch=outcomes.append, **kwargs)
    return outcomes


class TrialTest(unittest.TestCase):
    def test_train_loss_is_the_row_weighted_mean_of_the_batch_losses(self) -> None:
        # batches of 4, 4 and 2 rows; with a vanishing learning rate the weighted mean of batch
        # means is the loss of the whole split
        m = model()
        data = split(10, 1)
        with torch.no_grad():
            lit = Literals(jit=False, dtype=torch.float64)
            whole = float(((m(data.x, lit) - data.y) ** 2).mean())
        outcomes = train(m, train=data, phase=phase(epochs=1, optimizer={"name": "sgd", "lr": 1e-300}))
        self.assertAlmostEqual(outcomes[0].train_loss, whole, delta=1e-12 * whole)

    def test_the_lowest_validation_loss_is_kept(self) -> None:
        m = model()
        outcomes = train(m, phase=phase(optimizer={"name": "sgd", "lr": 0.3}), val_outputs_each_epoch=True)
        best = min(range(len(outcomes)), key=lambda e: outcomes[e].val_loss)  # type: ignore[arg-type,return-value]
        with torch.no_grad():
            now = m(split(6, 2).x, Literals(jit=False, dtype=torch.float64)).numpy()
        np.testing.assert_array_equal(now, outcomes[best].val_outputs)

    def test_patience_stops_after_epochs_without_a_better_validation_loss(self) -> None:
        outcomes = train(model(), phase=phase(epochs=50, patience=2, optimizer={"name": "sgd", "lr": 2.0}))
        losses = [o.val_loss for o in outcomes]
        self.assertLess(len(outcomes), 50)
        best = min(range(len(losses)), key=lambda e: losses[e])  # type: ignore[arg-type,return-value]
        self.assertEqual(len(outcomes) - 1 - best, 2)

    def test_a_non_finite_training_loss_ends_training(self) -> None:
        outcomes = train(model(), phase=phase(epochs=30, optimizer={"name": "sgd", "lr": 1e6}))
        self.assertFalse(math.isfinite(outcomes[-1].train_loss))
        self.assertLess(len(outcomes), 30)

    def test_no_epoch_starts_once_the_budget_is_spent(self) -> None:
        self.assertEqual(train(model(), seconds=0.0), [])

    def test_without_validation_the_last_epoch_is_kept(self) -> None:
        outcomes = train(model(), val=None, phase=phase(epochs=3))
        self.assertEqual([o.val_loss for o in outcomes], [None, None, None])

    def test_other_phases_are_refused_naming_the_engine_that_runs_them(self) -> None:
        with self.assertRaisesRegex(InputError, "the refine phase is not available on the torch engine; --engine jax runs it"):
            parse_phase({"kind": "refine", "grid_size": 10})
        with self.assertRaisesRegex(InputError, "phase.batch_size must be an integer >= 0"):
            parse_phase({"kind": "gradient", "batch_size": -1})


class EvaluationBatchTest(unittest.TestCase):
    def test_slices_are_those_of_forward_ts(self) -> None:
        # evaluationSlices(10, 4) in src/train/forward.ts: [0, 4], [4, 4], [8, 2]; one pass when it fits
        self.assertEqual(evaluation_slices(10, 4), [(0, 4), (4, 4), (8, 2)])
        self.assertEqual(evaluation_slices(10, 10), [(0, 10)])
        self.assertEqual(evaluation_slices(10, None), [(0, 10)])

    def test_a_batched_split_loss_is_the_row_weighted_mean_of_batch_means(self) -> None:
        m, data = model(), split(10, 3)
        lit = Literals(jit=False, dtype=torch.float64)
        with torch.no_grad():
            errors = ((m(data.x, lit) - data.y) ** 2).numpy().ravel()
        by_hand = (errors[:4].mean() * 4 + errors[4:8].mean() * 4 + errors[8:].mean() * 2) / 10
        self.assertEqual(split_loss(m, data, "mse", 4), float(by_hand))
        whole = split_loss(m, data, "mse")
        self.assertAlmostEqual(split_loss(m, data, "mse", 4), whole, delta=1e-14 * whole)

    def test_batched_outputs_equal_one_pass(self) -> None:
        m, data = model(), split(10, 4)
        np.testing.assert_array_equal(outputs_of(m, data.x, 3), outputs_of(m, data.x))
        self.assertEqual(outputs_of(m, data.x, 3).shape, (10, 1))


class LayerTest(unittest.TestCase):
    def test_dense_needs_flat_inputs(self) -> None:
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(dense\): dense needs flat inputs, got shape \[2, 2\]: add a flatten layer"):
            Model([{"type": "dense", "units": 3}], [2, 2], torch.float64)

    def test_activation_parameters_are_shaped_by_their_sharing(self) -> None:
        fn = {"expr": {"kind": "call", "op": "add", "args": [{"kind": "param", "name": "c"}, {"kind": "param", "name": "n"}]},
              "params": {"c": {"init": 0.5, "learnable": True, "sharing": "channel"},
                         "n": {"init": 2.0, "learnable": False, "sharing": "neuron"}}}
        m = Model([{"type": "activation", "fn": fn}], [3, 4], torch.float64)
        layer = m.layers[0]
        self.assertEqual({k: list(v.shape) for k, v in layer.param_arrays().items()}, {"act.c": [4]})
        self.assertEqual({k: list(v.shape) for k, v in layer.buffer_arrays().items()}, {"act.n": [3, 4]})
        self.assertEqual(float(layer.array("act.n")[0, 0]), 2.0)
        self.assertEqual(sorted(m.state_arrays()), ["0/buffers/act.n", "0/params/act.c"])

    def test_a_wrong_array_shape_names_layer_and_array(self) -> None:
        m = Model([{"type": "dense", "units": 3}], [2], torch.float64)
        with self.assertRaisesRegex(InputError, r"layers\[0\] \(dense\): params array 'w' has shape \[3, 2\], expected \[2, 3\]"):
            m.load_arrays({"init/0/params/w": np.zeros((3, 2)), "init/0/params/b": np.zeros(3)})


if __name__ == "__main__":
    unittest.main()
