"""The request loop of protocol v2 (docs/engines.md): one request at a time from stdin, answers on
stdout, log lines on stderr. A request that fails is answered by an ``error`` (kind ``input``: it
cannot run as given; ``run``: it failed while running) and the loop goes on; it ends at
``shutdown`` or when stdin ends.

Messages are read by a thread of their own, so a ``stop`` (a notification, no answer) reaches the
training it names between two epochs while the loop is busy with it; every other message waits
its turn in order."""

from __future__ import annotations

import math
import platform
import queue
import resource
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Dict, Optional, Set, Tuple, Union

import numpy as np
import torch

from . import PROTOCOL_VERSION
from .errors import InputError, RunError
from .expression import Literals
from .model import Model, input_shape_of, torch_dtype
from .protocol import Arrays, Header, read_message, write_message
from .trial import (
    Checkpoints,
    EpochOutcome,
    Progress,
    Split,
    TrainingStopped,
    fit_gradient,
    outputs_of,
    parse_phase,
)


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


def _count(fields: Header, name: str, where: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{where}.{name} must be a non-negative integer, got {value!r}")
    return value


def parse_resume(value: Any, arrays: Arrays) -> Optional[Progress]:
    """``request.resume`` and its arrays ``resume/optimizer/<path>`` and
    ``resume/best/<layer>/params/<name>`` (the model's own arrays are ``init/``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError("request.resume must be an object")
    prefix = "resume/optimizer/"
    optimizer = {name[len(prefix):]: a for name, a in arrays.items() if name.startswith(prefix)}
    progress = Progress(
        _count(value, "epochs", "request.resume"),
        _count(value, "steps", "request.resume"),
        _count(value, "sinceBest", "request.resume"),
        optimizer,
    )
    if "bestValLoss" in value:
        # a NaN loss crosses JSON as null
        loss = value["bestValLoss"]
        progress.best_val_loss = float(loss) if isinstance(loss, (int, float)) else math.nan
        progress.best = {}
        for name, array in arrays.items():
            if not name.startswith("resume/best/"):
                continue
            parts = name[len("resume/best/"):].split("/", 2)
            if len(parts) != 3 or parts[1] != "params":
                raise InputError(f"array '{name}': expected resume/best/<layer>/params/<name>")
            progress.best[f"{parts[0]}/{parts[2]}"] = array
    return progress


def progress_arrays(model: Model, progress: Progress) -> Arrays:
    """A ``progress`` answer's arrays: ``state/…`` (the model's), ``optimizer/<path>`` and
    ``best/<layer>/params/<name>``, as a resume sends them back."""
    arrays: Arrays = {f"state/{name}": value for name, value in model.state_arrays().items()}
    arrays.update({f"optimizer/{path}": value for path, value in progress.optimizer.items()})
    for path, value in (progress.best or {}).items():
        layer, name = path.split("/", 1)
        arrays[f"best/{layer}/params/{name}"] = value
    return arrays


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
    # ids of trainings asked to stop (added by the reader thread, a set's add being atomic)
    stops: Set[Any] = field(default_factory=set)

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

        resume = parse_resume(request.get("resume"), arrays)
        checkpoints = self.checkpoints(request_id, request.get("checkpoint"), model)
        try:
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
                resume,
                checkpoints,
            )
        except TrainingStopped as stopped:
            self.answer(request_id, {"type": "stopped", "epochs": stopped.epochs})
            return
        finally:
            self.stops.discard(request_id)
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

    def checkpoints(self, request_id: Any, value: Any, model: Model) -> Optional[Checkpoints]:
        """``request.checkpoint`` ({every}): the training sends ``progress`` answers, and stops
        when a ``stop`` names it."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InputError("request.checkpoint must be an object")
        every = _count(value, "every", "request.checkpoint")

        def save(progress: Progress) -> None:
            header: Header = {
                "type": "progress",
                "epochs": progress.epochs,
                "steps": progress.steps,
                "sinceBest": progress.since_best,
            }
            if progress.best is not None:
                header["bestValLoss"] = progress.best_val_loss
            self.answer(request_id, header, progress_arrays(model, progress))

        return Checkpoints(every, lambda: request_id in self.stops, save)

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


# what the reader thread hands the loop: a message, a bad header's error, an unreadable stream's
# error (the loop exits 1), or None at the end of the stream
Inbound = Union[Tuple[Header, Arrays], InputError, EOFError, ValueError, None]


def read_requests(source: BinaryIO, inbox: "queue.Queue[Inbound]", stops: Set[Any]) -> None:
    """Reads messages until the stream ends; a ``stop`` is taken at once (its training may be
    running), everything else goes to ``inbox`` in order."""
    while True:
        try:
            message = read_message(source)
        except InputError as error:
            inbox.put(error)
            continue
        except (EOFError, ValueError) as error:
            inbox.put(error)
            return
        if message is not None and message[0].get("type") == "stop":
            stops.add(message[0].get("train"))
            continue
        inbox.put(message)
        if message is None:
            return


def main(stdin: Optional[BinaryIO] = None, stdout: Optional[BinaryIO] = None) -> int:
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer
    worker = Worker(sink)
    inbox: "queue.Queue[Inbound]" = queue.Queue()
    reader = threading.Thread(
        target=read_requests, args=(source, inbox, worker.stops), name="nonlin-requests", daemon=True
    )
    reader.start()
    while True:
        message = inbox.get()
        if isinstance(message, InputError):
            worker.answer(None, {"type": "error", "kind": "input", "message": str(message)})
            continue
        if isinstance(message, (EOFError, ValueError)):
            print(f"nonlin_torch: unreadable input, exiting: {message}", file=sys.stderr)
            return 1
        if message is None:
            return 0
        header, arrays = message
        if not worker.handle(header, arrays):
            return 0
