import struct
import zlib

import numpy as np
import pytest

from planner.io.png import write_png


def _decode(data: bytes) -> tuple[int, int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, colour = hdr[:4]
    return w, h, colour, zlib.decompress(idat)


@pytest.mark.parametrize("shape", [(5, 7), (4, 6, 3)])
def test_round_trip(tmp_path, shape):
    img = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    write_png(tmp_path / "x.png", img)
    w, h, colour, raw = _decode((tmp_path / "x.png").read_bytes())
    assert (h, w) == shape[:2] and colour == (0 if len(shape) == 2 else 2)
    row = raw_len = len(raw) // h
    rows = [raw[r * row + 1:(r + 1) * row] for r in range(h)]   # drop the filter byte
    assert raw_len - 1 == img[0].nbytes
    assert b"".join(rows) == img.tobytes()


def test_rejects_other_shapes(tmp_path):
    with pytest.raises(ValueError):
        write_png(tmp_path / "x.png", np.zeros((2, 2, 4), np.uint8))
