"""Reading and writing IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., 1998).

An IDX file is a big-endian header -- two zero bytes, a type byte (0x08 = unsigned byte), the
number of dimensions -- followed by one uint32 per dimension and then the raw values. MNIST's images
are magic 0x00000803 (uint8, 3 dims: N x 28 x 28) and its labels 0x00000801 (uint8, 1 dim: N).
Files may be gzip-compressed (the form they are distributed in) or raw.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import GankitError

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
_MAGIC_BY_KIND = {"images": IMAGE_MAGIC, "labels": LABEL_MAGIC}
_GZIP_SIGNATURE = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise GankitError(f"cannot read {path}: {error.strerror or error}") from error
    if not raw.startswith(_GZIP_SIGNATURE):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise GankitError(f"{path} is a corrupt or truncated gzip file ({error}); "
                          f"delete it and download it again") from error


def read_idx(path, kind: str = "images") -> np.ndarray:
    """The uint8 array stored in an IDX file (``kind`` is "images" or "labels"), validated.

    Checks the magic number, that the header's dimensions are non-zero where they must be and that
    the file holds exactly prod(dims) bytes of values; any mismatch is a GankitError naming the file.
    """
    path = Path(path)
    expected_magic = _MAGIC_BY_KIND[kind]
    data = _read_bytes(path)
    redo = "delete it and download it again"
    if len(data) < 4:
        raise GankitError(f"{path} is not an IDX {kind[:-1]} file (only {len(data)} bytes); {redo}")
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        raise GankitError(f"{path} is not an IDX {kind[:-1]} file (magic 0x{magic:08x}, expected "
                          f"0x{expected_magic:08x}); {redo}")
    num_dims = magic & 0xFF
    header_size = 4 + 4 * num_dims
    if len(data) < header_size:
        raise GankitError(f"{path} is truncated inside its IDX header; {redo}")
    dims = struct.unpack(f">{num_dims}I", data[4:header_size])
    if dims[0] == 0 or any(size == 0 for size in dims[1:]):
        raise GankitError(f"{path} has an empty IDX shape {dims}; {redo}")
    expected_bytes = int(np.prod(dims, dtype=np.int64))
    found_bytes = len(data) - header_size
    if found_bytes != expected_bytes:
        state = "truncated" if found_bytes < expected_bytes else "longer than its header says"
        raise GankitError(f"{path} is {state}: header shape {dims} needs {expected_bytes} bytes, "
                          f"file has {found_bytes}; {redo}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims).copy()


def write_idx(path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed when the name ends in ``.gz``).

    1-D arrays are written as labels (magic 0x00000801), 3-D arrays as images (0x00000803).
    """
    path = Path(path)
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or array.ndim not in (1, 3):
        raise ValueError(f"write_idx takes a 1-D or 3-D uint8 array, got {array.dtype} {array.shape}")
    header = struct.pack(f">I{array.ndim}I", 0x00000800 | array.ndim, *array.shape)
    payload = header + array.tobytes()
    if path.name.endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    path.write_bytes(payload)
    return path
