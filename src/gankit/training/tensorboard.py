"""TensorBoard scalar logs without the tensorboard/tensorflow packages.

An event file is a TFRecord stream (length, masked CRC-32C, data, masked CRC-32C) of ``Event`` protocol
buffers (tensorflow/core/util/event.proto): wall_time = 1 (double), step = 2 (int64),
file_version = 3 (string), summary = 5 (Summary); Summary.value = 1 (repeated Value);
Value.tag = 1 (string), Value.simple_value = 2 (float); session_log = 7 (SessionLog: status = 1, START = 1).
The few fields we write are encoded by hand.
"""
from __future__ import annotations

import socket
import struct
import time
from pathlib import Path


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1     # Castagnoli polynomial, reflected
        table.append(crc)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's mask: rotate right by 15 and add a constant (tensorflow/core/lib/hash/crc32c.h)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    key = varint(number << 3 | wire_type)
    if wire_type == 2:                      # length-delimited
        return key + varint(len(payload)) + payload
    return key + payload


def scalar_event(tag: str, value: float, step: int, wall_time: float) -> bytes:
    summary_value = field(1, 2, tag.encode()) + field(2, 5, struct.pack("<f", value))
    summary = field(1, 2, summary_value)
    return field(1, 1, struct.pack("<d", wall_time)) + field(2, 0, varint(step)) + field(5, 2, summary)


def record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


class EventWriter:
    """Append scalars to ``<folder>/events.out.tfevents.<time>.<host>``, readable by TensorBoard."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        self.path = folder / f"events.out.tfevents.{int(now)}.{socket.gethostname()}"
        self.handle = open(self.path, "ab")
        header = field(1, 1, struct.pack("<d", now)) + field(3, 2, b"brain.Event:2")
        self.handle.write(record(header))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self.handle.write(record(scalar_event(tag, float(value), int(step), time.time())))

    def add_session_start(self, step: int) -> None:
        """A SessionLog START at ``step``: TensorBoard then drops the events of earlier files at this step and
        later ones (a run resumed from a checkpoint before them: those steps are trained again)."""
        session_log = field(1, 0, varint(1))
        event = field(1, 1, struct.pack("<d", time.time())) + field(2, 0, varint(int(step))) + field(7, 2, session_log)
        self.handle.write(record(event))

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()
