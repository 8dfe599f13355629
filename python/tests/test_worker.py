import io
import os
import subprocess
import sys
import unittest
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from nonlin_torch.protocol import encode_message, read_message
from nonlin_torch.worker import PeakRss, main

IDENTITY = {"expr": {"kind": "input"}, "params": {}}
TANH = {"expr": {"kind": "call", "op": "tanh", "args": [{"kind": "input"}]}, "params": {}}
SCALED = {
    "expr": {"kind": "call", "op": "mul", "args": [{"kind": "param", "name": "a"}, {"kind": "input"}]},
    "params": {"a": {"init": 1.0, "learnable": True, "sharing": "scalar"}},
}
LAYERS = [{"type": "dense", "units": 3, "activation": TANH, "bias": True, "init": "lecun_normal"},
          {"type": "activation", "fn": SCALED},
          {"type": "dense", "units": 1, "activation": IDENTITY, "bias": True, "init": "lecun_normal"}]


def init_arrays(seed: int = 0) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "init/0/params/w": rng.normal(size=(2, 3)), "init/0/params/b": np.zeros(3),
        "init/1/params/act.a": np.array(1.0),
        "init/2/params/w": rng.normal(size=(3, 1)), "init/2/params/b": np.zeros(1),
    }


def converse(requests: List[Tuple[Dict[str, Any], Optional[Dict[str, np.ndarray]]]]) -> Tuple[int, List[Tuple[Dict[str, Any], Dict[str, np.ndarray]]]]:
    stdin = io.BytesIO(b"".join(encode_message(h, a) for h, a in requests))
    stdout = io.BytesIO()
    code = main(stdin, stdout)
    stdout.seek(0)
    answers = []
    while (message := read_message(stdout)) is not None:
        answers.append(message)
    return code, answers


def data(key: str, rows: int, seed: int) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2))
    return {"type": "data", "id": 0, "key": key}, {"x": x, "y": (x[:, :1] * x[:, 1:])}


TRAIN = {"layers": LAYERS, "inputShape": [2], "dtype": "float64", "loss": "mse",
         "phase": {"kind": "gradient", "optimizer": {"name": "adam", "lr": 0.05}, "epochs": 5, "batch_size": 8, "shuffle": True, "patience": 0},
         "train": "t", "val": "v", "seed": 3, "valOutputsEachEpoch": True, "device": "cpu"}


class WorkerTest(unittest.TestCase):
    def test_a_whole_conversation(self) -> None:
        code, answers = converse([
            ({"type": "hello", "id": 1, "protocol": 2}, None),
            data("t", 30, 1), data("v", 10, 2),
            ({"type": "train", "id": 2, "request": TRAIN}, init_arrays()),
            ({"type": "predict", "id": 3, "model": 1, "key": "v"}, None),
            ({"type": "state", "id": 4, "model": 1}, None),
            ({"type": "release", "id": 5, "model": 1}, None),
            ({"type": "predict", "id": 6, "model": 1, "key": "v"}, None),
            ({"type": "shutdown", "id": 7}, None),
        ])
        self.assertEqual(code, 0)
        hello = answers[0][0]
        self.assertEqual((hello["type"], hello["protocol"], hello["devices"][0]), ("hello", 2, "cpu"))
        epochs = [h for h, _ in answers if h["type"] == "epoch"]
        self.assertEqual([h["epoch"] for h in epochs], [0, 1, 2, 3, 4])
        self.assertTrue(all(h["id"] == 2 and h["valLoss"] > 0 for h in epochs))
        self.assertEqual([a["valOutputs"].shape for h, a in answers if h["type"] == "epoch"][0], (10, 1))
        trained = next(h for h, _ in answers if h["type"] == "trained")
        self.assertEqual(trained["model"], 1)
        self.assertGreater(trained["trainingSeconds"], 0)
        self.assertGreater(trained["peakRssBytes"], 10_000_000)  # torch alone takes more
        self.assertNotIn("cudaPeakBytes", trained)
        outputs = next(a for h, a in answers if h["type"] == "outputs")
        self.assertEqual(outputs["y"].shape, (10, 1))
        state = next(a for h, a in answers if h["type"] == "state")
        self.assertEqual(sorted(state), ["0/params/b", "0/params/w", "1/params/act.a", "2/params/b", "2/params/w"])
        # the selected epoch's outputs are the predictions: the lowest validation loss's
        best = min(range(5), key=lambda e: epochs[e]["valLoss"])
        best_outputs = [a for h, a in answers if h["type"] == "epoch"][best]["valOutputs"]
        np.testing.assert_array_equal(outputs["y"], best_outputs)
        released = answers[-1][0]
        self.assertEqual((released["type"], released["kind"], released["id"]), ("error", "input", 6))

    def test_bad_requests_are_answered_and_the_loop_goes_on(self) -> None:
        unknown = dict(TRAIN, layers=[{"type": "no_such_layer"}])
        lbfgs = dict(TRAIN, phase={"kind": "lbfgs"})
        _, answers = converse([
            data("t", 30, 1), data("v", 10, 2),
            ({"type": "train", "id": 1, "request": unknown}, {}),
            ({"type": "train", "id": 2, "request": lbfgs}, init_arrays()),
            ({"type": "train", "id": 3, "request": TRAIN}, {k: v for k, v in init_arrays().items() if not k.endswith("act.a")}),
            ({"type": "train", "id": 4, "request": dict(TRAIN, train="missing")}, init_arrays()),
            ({"type": "nope", "id": 5}, None),
            ({"type": "hello", "id": 6, "protocol": 2}, None),
        ])
        errors = {h["id"]: h["message"] for h, _ in answers if h["type"] == "error"}
        self.assertEqual(errors[1], "layers[0]: layer type 'no_such_layer' is not available on the torch engine yet; --engine jax runs it")
        self.assertIn("lbfgs phase is not available on the torch engine; --engine jax runs it", errors[2])
        self.assertEqual(errors[3], "layers[1] (activation): params array 'act.a' was not sent")
        self.assertIn("request.train: no split cached under 'missing'", errors[4])
        self.assertIn("unknown request type 'nope'", errors[5])
        self.assertEqual(answers[-1][0]["type"], "hello")

    def test_forward_gives_outputs_and_gradients(self) -> None:
        x = np.array([[0.5, -1.0], [2.0, 0.25]])
        _, answers = converse([({"type": "forward", "id": 1, "layers": LAYERS, "inputShape": [2], "dtype": "float64", "device": "cpu"},
                                dict(init_arrays(), x=x, upstream=np.ones((2, 1))))])
        header, arrays = answers[0]
        self.assertEqual(header["type"], "forward")
        init = init_arrays()
        hidden = np.tanh(x @ init["init/0/params/w"])
        np.testing.assert_allclose(arrays["y"], hidden @ init["init/2/params/w"], rtol=1e-14)
        # d sum(y) / d a = sum(tanh(xW1) W2), since a = 1 scales the hidden layer
        np.testing.assert_allclose(arrays["grad/1/params/act.a"], (hidden @ init["init/2/params/w"]).sum(), rtol=1e-14)
        self.assertEqual(arrays["grad/x"].shape, (2, 2))


class PeakRssTest(unittest.TestCase):
    @unittest.skipUnless(sys.platform.startswith("linux"), "VmHWM and clear_refs are Linux's")
    def test_the_peak_is_this_trainings_not_the_processs(self) -> None:
        held = np.ones(40_000_000)  # 320 MB resident
        held_bytes = held.nbytes
        del held
        peak = PeakRss()
        if not peak.per_trial:
            self.skipTest("/proc/self/clear_refs is not writable here: the peak is the process's since it started")
        after_reset = peak.read()
        self.assertLess(after_reset, held_bytes)
        grown = np.ones(10_000_000)  # 80 MB
        self.assertGreaterEqual(peak.read(), after_reset + grown.nbytes * 0.9)
        self.assertLess(peak.read(), after_reset + held_bytes)


class ProcessTest(unittest.TestCase):
    def test_the_module_runs_and_exits_0_when_stdin_ends(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        result = subprocess.run([sys.executable, "-m", "nonlin_torch"], input=encode_message({"type": "hello", "id": 9, "protocol": 2}),
                                capture_output=True, env=dict(os.environ, PYTHONPATH=root), timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        header, _ = read_message(io.BytesIO(result.stdout))  # type: ignore[misc]
        self.assertEqual((header["type"], header["id"]), ("hello", 9))


if __name__ == "__main__":
    unittest.main()
