"""hybrid.images.limits: the caps from settings."""

from __future__ import annotations

from hybrid.images import (
    ImageLimits,
)
from hybrid.settings import Settings


def test_limits_from_settings() -> None:
    settings = Settings(max_image_pixels=1000, max_image_bytes=2000, image_max_redirects=0)
    limits = ImageLimits.from_settings(settings)
    assert (limits.max_pixels, limits.max_bytes, limits.max_redirects) == (1000, 2000, 0)
    assert limits.allow_private_networks is False
