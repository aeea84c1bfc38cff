"""Minimal PNG writer for 8-bit greyscale and RGB images (no imaging library needed)."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write (rows, cols) uint8 greyscale or (rows, cols, 3) uint8 RGB, atomically."""
    data = encode_png(image)
    tmp = f"{os.fspath(path)}.part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of (rows, cols) uint8 greyscale or (rows, cols, 3) uint8 RGB."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim == 2:
        colour = 0
    elif img.ndim == 3 and img.shape[2] == 3:
        colour = 2
    else:
        raise ValueError(f"cannot write an image of shape {img.shape} as PNG")
    h, w = img.shape[:2]
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)) +
            _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b""))
