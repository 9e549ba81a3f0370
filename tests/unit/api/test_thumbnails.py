"""hybrid.api.thumbnails: what leaves is a small re-encoded JPEG, never the stored bytes."""

from __future__ import annotations

import io

from PIL import Image

from hybrid.api.thumbnails import THUMBNAIL_PX, encode_thumbnail


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_large_image_is_scaled_to_fit_keeping_its_shape() -> None:
    out = _decoded(encode_thumbnail(Image.new("RGB", (1600, 800), (200, 30, 30))))
    assert out.format == "JPEG"
    assert out.size == (THUMBNAIL_PX, THUMBNAIL_PX // 2)
    red, green, blue = out.getpixel((10, 10))  # type: ignore[misc]
    assert red > 180 and green < 60 and blue < 60


def test_a_small_image_is_not_enlarged_and_transparency_becomes_rgb() -> None:
    out = _decoded(encode_thumbnail(Image.new("RGBA", (40, 30), (0, 0, 255, 255))))
    assert out.size == (40, 30)
    assert out.mode == "RGB"
