"""Image bytes and expectations shared by the image-loading tests."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from hybrid.errors import ImageRejectedError
from hybrid.images import (
    ImageLimits,
)

LIMITS = ImageLimits()
LOOPBACK_OK = ImageLimits(allow_private_networks=True, fetch_timeout=5.0)


def encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` px, with no pixel data at all."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def rejected(reason: str) -> pytest.RaisesExc[ImageRejectedError]:
    return pytest.raises(ImageRejectedError, check=lambda e: e.reason == reason)


def px(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(image)[y, x])


RED_PNG = encode(Image.new("RGB", (8, 8), (255, 0, 0)))
