"""Our dependency-free TensorBoard writer produces files TensorBoard reads."""
import struct

import pytest

from gankit.training.tensorboard import EventWriter, crc32c, masked_crc32c, varint


def test_crc32c_known_vector_and_varint():
    assert crc32c(b"123456789") == 0xE3069283          # the CRC-32C check value (RFC 3720, B.4)
    assert crc32c(b"") == 0
    assert varint(1) == b"\x01" and varint(300) == b"\xac\x02"   # protobuf docs' example


def read_records(path):
    data, records, offset = path.read_bytes(), [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        (length_crc,) = struct.unpack_from("<I", data, offset + 8)
        assert length_crc == masked_crc32c(data[offset:offset + 8])
        payload = data[offset + 12: offset + 12 + length]
        (payload_crc,) = struct.unpack_from("<I", data, offset + 12 + length)
        assert payload_crc == masked_crc32c(payload)
        records.append(payload)
        offset += 16 + length
    return records


def test_records_are_framed_and_checksummed(tmp_path):
    writer = EventWriter(tmp_path)
    writer.add_scalar("loss_d", 0.5, 10)
    writer.add_scalar("M", 0.25, 20)
    writer.close()
    records = read_records(writer.path)
    assert len(records) == 3 and b"brain.Event:2" in records[0]
    assert b"loss_d" in records[1] and struct.pack("<f", 0.5) in records[1]


def test_tensorboard_reads_our_scalars(tmp_path):
    accumulator_module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    writer = EventWriter(tmp_path)
    for step in range(1, 4):
        writer.add_scalar("loss_g", step * 0.5, step)
    writer.close()
    accumulator = accumulator_module.EventAccumulator(str(tmp_path))
    accumulator.Reload()
    events = accumulator.Scalars("loss_g")
    assert [(e.step, e.value) for e in events] == [(1, 0.5), (2, 1.0), (3, 1.5)]
