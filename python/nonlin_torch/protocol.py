"""Frames of protocol v2 (docs/engines.md): a 4-byte little-endian length n, n bytes of UTF-8 JSON
(the header), then the bytes of the arrays the header lists under "arrays", in order
(little-endian, row-major)."""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO, Dict, List, Optional, Tuple

import numpy as np

from .errors import InputError

WIRE_DTYPES: Dict[str, np.dtype] = {
    "f64": np.dtype("<f8"),
    "f32": np.dtype("<f4"),
    "i32": np.dtype("<i4"),
}
_WIRE_NAMES = {np.dtype("float64"): "f64", np.dtype("float32"): "f32", np.dtype("int32"): "i32"}

Header = Dict[str, Any]
Arrays = Dict[str, np.ndarray]


def _read_exactly(stream: BinaryIO, count: int) -> Optional[bytes]:
    """``count`` bytes, or None at a clean end of the stream before the first byte."""
    chunks: List[bytes] = []
    remaining = count
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            if remaining == count:
                return None
            raise EOFError(f"the stream ended {remaining} bytes before the end of a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO) -> Optional[Tuple[Header, Arrays]]:
    """The next message (header, arrays by name), or None when the stream has ended."""
    prefix = _read_exactly(stream, 4)
    if prefix is None:
        return None
    (length,) = struct.unpack("<I", prefix)
    body = _read_exactly(stream, length)
    if body is None:
        raise EOFError("the stream ended after a frame's length")
    header = json.loads(body.decode("utf-8"))
    if not isinstance(header, dict):
        raise InputError("a message's header must be a JSON object")
    arrays: Arrays = {}
    entries = header.pop("arrays", None) or []
    if not isinstance(entries, list):
        raise InputError("header field 'arrays' must be a list")
    for index, entry in enumerate(entries):
        name, dtype, shape = _entry_fields(entry, index)
        size = int(np.prod(shape, dtype=np.int64)) if shape else 1
        data = _read_exactly(stream, size * dtype.itemsize) if size > 0 else b""
        if data is None:
            raise EOFError(f"the stream ended before array '{name}'")
        arrays[name] = np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    return header, arrays


def _entry_fields(entry: Any, index: int) -> Tuple[str, np.dtype, List[int]]:
    where = f"arrays[{index}]"
    if not isinstance(entry, dict):
        raise InputError(f"{where} must be an object with name, dtype and shape")
    name = entry.get("name")
    if not isinstance(name, str):
        raise InputError(f"{where}.name must be a string")
    dtype = WIRE_DTYPES.get(entry.get("dtype"))  # type: ignore[arg-type]
    if dtype is None:
        raise InputError(f"{where}.dtype (array '{name}') must be one of {sorted(WIRE_DTYPES)}")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise InputError(f"{where}.shape (array '{name}') must be a list of non-negative integers")
    return name, dtype, shape


def encode_message(header: Header, arrays: Optional[Arrays] = None) -> bytes:
    """One frame. Arrays keep their dtype when it is float64, float32 or int32; others are sent as
    float64."""
    entries = []
    payloads: List[bytes] = []
    for name, array in (arrays or {}).items():
        value = np.asarray(array)
        wire = _WIRE_NAMES.get(value.dtype)
        if wire is None:
            value, wire = value.astype(np.float64), "f64"
        entries.append({"name": name, "dtype": wire, "shape": list(value.shape)})
        payloads.append(np.ascontiguousarray(value, dtype=WIRE_DTYPES[wire]).tobytes())
    full = dict(header, arrays=entries) if entries else header
    body = json.dumps(full, allow_nan=True).encode("utf-8")
    return b"".join([struct.pack("<I", len(body)), body, *payloads])


def write_message(stream: BinaryIO, header: Header, arrays: Optional[Arrays] = None) -> None:
    stream.write(encode_message(header, arrays))
    stream.flush()
