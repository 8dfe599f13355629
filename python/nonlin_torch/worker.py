"""The request loop of protocol v1 (docs/engines.md): one request at a time from stdin, answers on
stdout, log lines on stderr. A request that fails is answered by an ``error`` (kind ``input``: it
cannot run as given; ``run``: it failed while running) and the loop goes on; it ends at
``shutdown`` or when stdin ends."""

from __future__ import annotations

import platform
import resource
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Dict, Optional, Tuple

import numpy as np
import torch

from . import PROTOCOL_VERSION
from .errors import InputError, RunError
from .expression import Literals
from .model import Model, input_shape_of, torch_dtype
from .protocol import Arrays, Header, read_message, write_message
from .trial import EpochOutcome, Split, fit_gradient, outputs_of, parse_phase


def parse_device(value: Any) -> torch.device:
    text = "cpu" if value is None else value
    if not isinstance(text, str) or not (text in ("cpu", "cuda") or text.startswith("cuda:")):
        raise InputError(f"device must be cpu, cuda or cuda:N, got {value!r}")
    if text == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise InputError(f"device {text}: this torch has no CUDA device (torch {torch.__version__})")
    device = torch.device(text)
    index = device.index or 0
    if index >= torch.cuda.device_count():
        raise InputError(f"device {text}: there are {torch.cuda.device_count()} CUDA devices")
    return device


def _status_kib(field_name: str) -> Optional[int]:
    """A ``kB`` field of /proc/self/status (Linux), or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class PeakRss:
    """The process's peak resident memory during one training, in bytes.

    On Linux the high-water mark VmHWM is reset to the current RSS when measuring starts (writing
    ``5`` to /proc/self/clear_refs) and read at the end: the peak during this training, the
    cached splits and torch's own libraries included (what the process holds, not its growth).
    Where the reset is not possible (not Linux, or /proc not writable) it is the process's peak
    since it started, ``getrusage``'s ``ru_maxrss``."""

    def __init__(self) -> None:
        self.per_trial = False
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
                clear_refs.write("5")
            self.per_trial = _status_kib("VmHWM") is not None
        except OSError:
            self.per_trial = False

    def read(self) -> int:
        if self.per_trial:
            hwm = _status_kib("VmHWM")
            if hwm is not None:
                return hwm * 1024
        # ru_maxrss is in KiB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class TrainedModel:
    model: Model
    device: torch.device
    evaluation_rows: Optional[int] = None


@dataclass
class Worker:
    """The process's state: cached splits by key and trained models by handle."""

    output: BinaryIO
    splits: Dict[str, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    on_device: Dict[Tuple[str, torch.dtype, str], Split] = field(default_factory=dict)
    models: Dict[int, TrainedModel] = field(default_factory=dict)
    next_handle: int = 1

    def answer(self, request_id: Any, header: Header, arrays: Optional[Arrays] = None) -> None:
        write_message(self.output, dict(header, id=request_id), arrays)

    def handle(self, header: Header, arrays: Arrays) -> bool:
        """Answers one request; False once the loop should end."""
        kind = header.get("type")
        request_id = header.get("id")
        try:
            if kind == "shutdown":
                return False
            handler = getattr(self, f"on_{kind}", None) if isinstance(kind, str) else None
            if handler is None:
                raise InputError(f"unknown request type {kind!r}")
            handler(request_id, header, arrays)
        except InputError as error:
            self.answer(request_id, {"type": "error", "kind": "input", "message": str(error)})
        except Exception as error:  # noqa: BLE001 - one bad request must not end the loop
            traceback.print_exc(file=sys.stderr)
            message = str(error) if isinstance(error, RunError) else f"{type(error).__name__}: {error}"
            frames = traceback.extract_tb(error.__traceback__)
            if frames and not isinstance(error, RunError):
                last = frames[-1]
                message += f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}, in {last.name})"
            self.answer(request_id, {"type": "error", "kind": "run", "message": message})
        return True

    def on_hello(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        if header.get("protocol") != PROTOCOL_VERSION:
            raise InputError(
                f"protocol {header.get('protocol')!r} requested; this nonlin_torch speaks {PROTOCOL_VERSION}"
            )
        devices = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        self.answer(
            request_id,
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "python": platform.python_version(),
                "torch": torch.__version__,
                "numpy": np.__version__,
                "devices": devices,
            },
        )

    def on_data(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        key = header.get("key")
        if not isinstance(key, str):
            raise InputError("data.key must be a string")
        if "x" not in arrays or "y" not in arrays:
            raise InputError(f"data '{key}': arrays x and y are both needed")
        x, y = arrays["x"], arrays["y"]
        if x.ndim < 1 or y.ndim < 1 or x.shape[0] != y.shape[0]:
            raise InputError(f"data '{key}': x and y must have the same number of rows")
        self.splits[key] = (np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        for cached in [k for k in self.on_device if k[0] == key]:
            del self.on_device[cached]
        self.answer(request_id, {"type": "ok"})

    def split(self, key: Any, field_name: str, input_shape: list, dtype: torch.dtype, device: torch.device) -> Split:
        if not isinstance(key, str) or key not in self.splits:
            raise InputError(f"request.{field_name}: no split cached under {key!r} (send it with a data request)")
        cache_key = (key, dtype, str(device))
        if cache_key not in self.on_device:
            x, y = self.splits[key]
            rows = x.shape[0]
            if x.size != rows * int(np.prod(input_shape)):
                raise InputError(
                    f"request.{field_name}: split '{key}' has rows of {x.size // max(rows, 1)} values, "
                    f"the input shape {input_shape} needs {int(np.prod(input_shape))}"
                )
            self.on_device[cache_key] = Split(
                torch.from_numpy(x.reshape([rows, *input_shape])).to(device=device, dtype=dtype),
                torch.from_numpy(y.reshape([rows, -1])).to(device=device, dtype=dtype),
            )
        return self.on_device[cache_key]

    def build_model(self, spec: Header, arrays: Arrays, device: torch.device) -> Model:
        dtype = torch_dtype(spec.get("dtype"))
        model = Model(spec.get("layers"), input_shape_of(spec.get("inputShape")), dtype)
        model.load_arrays(arrays, "init/")
        return model.to(device)

    def on_train(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        request = header.get("request")
        if not isinstance(request, dict):
            raise InputError("train.request must be an object")
        started = time.perf_counter()
        device = parse_device(request.get("device"))
        peak_rss = PeakRss()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        model = self.build_model(request, arrays, device)
        phase = parse_phase(request.get("phase"))
        seed = request.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InputError(f"request.seed must be an integer, got {seed!r}")
        seconds = request.get("seconds")
        if seconds is not None and (not isinstance(seconds, (int, float)) or seconds < 0):
            raise InputError(f"request.seconds must be a non-negative number, got {seconds!r}")
        evaluation_rows = request.get("evaluationRows")
        if evaluation_rows is not None and (
            not isinstance(evaluation_rows, int) or isinstance(evaluation_rows, bool) or evaluation_rows < 1
        ):
            raise InputError(f"request.evaluationRows must be a positive integer, got {evaluation_rows!r}")
        train = self.split(request.get("train"), "train", model.input_shape, model.dtype, device)
        val_key = request.get("val")
        val = self.split(val_key, "val", model.input_shape, model.dtype, device) if val_key is not None else None

        def on_epoch(outcome: EpochOutcome) -> None:
            message: Header = {"type": "epoch", "epoch": outcome.epoch, "trainLoss": outcome.train_loss}
            if outcome.val_loss is not None:
                message["valLoss"] = outcome.val_loss
            extra = {"valOutputs": outcome.val_outputs} if outcome.val_outputs is not None else None
            self.answer(request_id, message, extra)

        evaluation_seconds = fit_gradient(
            model,
            train,
            val,
            phase,
            request.get("loss"),  # type: ignore[arg-type]
            seed,
            float(seconds) if seconds is not None else None,
            on_epoch,
            bool(request.get("valOutputsEachEpoch", False)),
            evaluation_rows,
        )
        training_seconds = max(1e-9, time.perf_counter() - started - evaluation_seconds)
        handle = self.next_handle
        self.next_handle += 1
        self.models[handle] = TrainedModel(model, device, evaluation_rows)
        answer: Header = {
            "type": "trained",
            "model": handle,
            "trainingSeconds": training_seconds,
            "peakRssBytes": peak_rss.read(),
        }
        if device.type == "cuda":
            answer["cudaPeakBytes"] = torch.cuda.max_memory_allocated(device)
        self.answer(request_id, answer)

    def trained(self, header: Header) -> TrainedModel:
        handle = header.get("model")
        if handle not in self.models:
            raise InputError(f"model {handle!r} is not held (trained and not released)")
        return self.models[handle]

    def on_predict(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        held = self.trained(header)
        model = held.model
        if "x" in arrays:
            x = arrays["x"]
            rows = x.shape[0] if x.ndim > 0 else 0
            if x.size != rows * int(np.prod(model.input_shape)):
                raise InputError(f"predict.x: rows must have the input shape {model.input_shape}")
            xt = torch.from_numpy(np.asarray(x, dtype=np.float64).reshape([rows, *model.input_shape]))
            xt = xt.to(device=held.device, dtype=model.dtype)
        else:
            xt = self.split(header.get("key"), "key", model.input_shape, model.dtype, held.device).x
        self.answer(request_id, {"type": "outputs"}, {"y": outputs_of(model, xt, held.evaluation_rows)})

    def on_state(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        self.answer(request_id, {"type": "state"}, self.trained(header).model.state_arrays())

    def on_release(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        self.models.pop(header.get("model"), None)  # type: ignore[arg-type]
        self.answer(request_id, {"type": "ok"})

    def on_forward(self, request_id: Any, header: Header, arrays: Arrays) -> None:
        """Outputs and the gradients of sum(y · upstream) w.r.t. x and every parameter. Literals as
        the jax engine's op-by-op pass, or as its jitted step with ``jitLiterals: true``."""
        device = parse_device(header.get("device"))
        model = self.build_model(header, arrays, device)
        for name in ("x", "upstream"):
            if name not in arrays:
                raise InputError(f"forward: array '{name}' is needed")
        x_np = arrays["x"]
        rows = x_np.shape[0]
        x = torch.from_numpy(np.asarray(x_np, dtype=np.float64).reshape([rows, *model.input_shape]))
        x = x.to(device=device, dtype=model.dtype).requires_grad_(True)
        literals = Literals(jit=bool(header.get("jitLiterals", False)), dtype=model.dtype)
        y = model(x, literals)
        upstream_np = np.asarray(arrays["upstream"], dtype=np.float64)
        if upstream_np.size != y.numel():
            raise InputError(f"forward.upstream: {upstream_np.size} values for outputs of shape {list(y.shape)}")
        upstream = torch.from_numpy(upstream_np.reshape(list(y.shape))).to(device=device, dtype=model.dtype)
        names = [
            f"grad/{index}/params/{name}"
            for index, layer in enumerate(model.layers)
            for name in layer.param_arrays()
        ]
        grads = torch.autograd.grad((y * upstream).sum(), [x, *model.params()], allow_unused=True)
        host = lambda t, like: (t if t is not None else torch.zeros_like(like)).detach().to("cpu", torch.float64).numpy()  # noqa: E731
        out: Arrays = {"y": y.detach().to("cpu", torch.float64).numpy(), "grad/x": host(grads[0], x)}
        for name, grad, param in zip(names, grads[1:], model.params()):
            out[name] = host(grad, param)
        self.answer(request_id, {"type": "forward"}, out)


def main(stdin: Optional[BinaryIO] = None, stdout: Optional[BinaryIO] = None) -> int:
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer
    worker = Worker(sink)
    while True:
        try:
            message = read_message(source)
        except InputError as error:
            worker.answer(None, {"type": "error", "kind": "input", "message": str(error)})
            continue
        except (EOFError, ValueError) as error:
            print(f"nonlin_torch: unreadable input, exiting: {error}", file=sys.stderr)
            return 1
        if message is None:
            return 0
        header, arrays = message
        if not worker.handle(header, arrays):
            return 0
