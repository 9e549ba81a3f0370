"""Limits applied to every image, and the error messages the image modules share."""

from __future__ import annotations

from dataclasses import dataclass, field

from hybrid.errors import ImageRejectedError
from hybrid.settings import Settings

_DEFAULT_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP"})


@dataclass(frozen=True)
class ImageLimits:
    """Limits applied to every image, whatever its source.

    Attributes:
        max_pixels: the largest width x height accepted, checked from the header.
        max_bytes: the largest encoded size accepted (file, HTTP body, inline bytes).
        fetch_timeout: seconds for a whole URL download, redirects included.
        max_redirects: redirect hops followed before giving up.
        allowed_formats: Pillow format names accepted, checked from the decoded header.
        allow_private_networks: let URLs reach loopback, private (RFC 1918, CGNAT, ULA) and
            other non-global addresses. Only for tests and intranet deployments; link-local
            (cloud metadata), multicast, reserved and unspecified addresses stay refused.
    """

    max_pixels: int = 40_000_000
    max_bytes: int = 20 * 1024 * 1024
    fetch_timeout: float = 10.0
    max_redirects: int = 3
    allowed_formats: frozenset[str] = field(default=_DEFAULT_FORMATS)
    allow_private_networks: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageLimits:
        """Build the limits from the ``image``-related fields of ``settings``."""
        return cls(
            max_pixels=settings.max_image_pixels,
            max_bytes=settings.max_image_bytes,
            fetch_timeout=settings.image_fetch_timeout,
            max_redirects=settings.image_max_redirects,
            allow_private_networks=settings.image_allow_private_networks,
        )


def subject(product_id: str | None) -> str:
    """How messages name the image: ``"image for product 'sku-42'"`` or ``"image"``."""
    return "image" if product_id is None else f"image for product {product_id!r}"


def too_large(who: str, size: int, limit: int, *, partial: bool = False) -> ImageRejectedError:
    """The ``too_large`` rejection; ``partial``: ``size`` is only what was read so far."""
    found = f"more than {limit} bytes" if partial else f"{size} bytes"
    return ImageRejectedError(f"{who} is {found}; the limit is {limit} bytes", reason="too_large")
