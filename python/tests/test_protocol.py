import io
import unittest

import numpy as np

from nonlin_torch.errors import InputError
from nonlin_torch.protocol import encode_message, read_message


class FrameTest(unittest.TestCase):
    def test_round_trip_keeps_header_and_arrays(self) -> None:
        arrays = {
            "x": np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
            "f": np.array([1.5, -2.25], dtype=np.float32),
            "i": np.array([[1, -2]], dtype=np.int32),
            "scalar": np.array(3.0),
            "empty": np.zeros((0, 4)),
        }
        stream = io.BytesIO(encode_message({"type": "data", "key": "k", "n": 1.5}, arrays))
        header, got = read_message(stream)  # type: ignore[misc]
        self.assertEqual(header, {"type": "data", "key": "k", "n": 1.5})
        self.assertEqual(list(got), list(arrays))
        for name, value in arrays.items():
            self.assertEqual(got[name].dtype, value.dtype, name)
            self.assertEqual(got[name].shape, value.shape, name)
            np.testing.assert_array_equal(got[name], value)
        self.assertIsNone(read_message(stream))

    def test_length_prefix_is_little_endian_json_length(self) -> None:
        frame = encode_message({"type": "ok", "id": 3})
        self.assertEqual(int.from_bytes(frame[:4], "little"), len(frame) - 4)
        self.assertEqual(frame[4:], b'{"type": "ok", "id": 3}')

    def test_non_finite_numbers_travel_as_python_writes_them(self) -> None:
        frame = encode_message({"trainLoss": float("nan"), "valLoss": float("inf")})
        self.assertIn(b"NaN", frame)
        self.assertIn(b"Infinity", frame)

    def test_truncated_frame_is_an_eof_error(self) -> None:
        frame = encode_message({"type": "x"}, {"a": np.ones(4)})
        with self.assertRaises(EOFError):
            read_message(io.BytesIO(frame[:-3]))

    def test_unknown_wire_dtype_names_the_array(self) -> None:
        body = b'{"type": "x", "arrays": [{"name": "a", "dtype": "f16", "shape": [1]}]}'
        frame = len(body).to_bytes(4, "little") + body + b"\0\0"
        with self.assertRaisesRegex(InputError, "array 'a'"):
            read_message(io.BytesIO(frame))


if __name__ == "__main__":
    unittest.main()
