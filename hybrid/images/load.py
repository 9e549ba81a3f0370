"""Loading an image safely from a local path under the image root, a URL or inline bytes.

The rejection reasons are listed in :mod:`hybrid.images`.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import logging
import os
import re
import stat
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any, Self

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, field_serializer, field_validator, model_validator

from hybrid.errors import ImageRejectedError
from hybrid.images.fetch import fetch_image_bytes
from hybrid.images.limits import ImageLimits, subject, too_large

# Pillow reports multi-picture JPEGs (most phone cameras) as MPO: they are JPEGs.
_FORMAT_ALIASES = {"MPO": "JPEG"}
# Pillow signals bad or truncated data with a wide range of exception types.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)
# "Image size (10000000000 pixels) exceeds limit of 178956970 pixels, could be ..."
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")
logger = logging.getLogger(__name__)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class ImageRef(BaseModel):
    """A reference to one image: exactly one of a local path, an http(s) URL or inline bytes.

    A plain string validates as a URL when it has a scheme (``https://...``; only http and https
    are fetched, others are refused at load time) and as a path otherwise. In JSON, ``data`` is
    base64; from Python, ``data`` takes raw bytes (a ``str`` is read as base64).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None
    url: str | None = None
    data: bytes | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, value: Any) -> Any:
        if isinstance(value, bytes):
            return {"data": value}
        if isinstance(value, str):
            return {"url": value} if _SCHEME.match(value) else {"path": value}
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _decode_base64(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except binascii.Error as exc:
                raise ValueError(
                    f"expected base64 image data; found invalid base64: {exc}"
                ) from exc
        return value

    @field_serializer("data", when_used="json")
    def _encode_base64(self, value: bytes | None) -> str | None:
        return None if value is None else base64.b64encode(value).decode("ascii")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name in ("path", "url", "data") if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) or "none"
            raise ValueError(f"expected exactly one of path, url, data; found {found}")
        return self


def load_image(
    ref: ImageRef | str | bytes,
    *,
    root: Path | None,
    limits: ImageLimits,
    product_id: str | None = None,
) -> Image.Image:
    """Load an image from a reference and return it decoded, upright, in RGB.

    Args:
        ref: an :class:`ImageRef`, a plain string (URL or path) or raw encoded bytes.
        root: the directory local paths must stay inside; None refuses local paths.
        limits: size, format and network limits.
        product_id: named in error messages.

    Raises:
        ImageRejectedError: the image is unsafe, too large, unsupported or undecodable.
    """
    if isinstance(ref, bytes):
        return decode_image_bytes(ref, limits=limits, product_id=product_id)
    if isinstance(ref, str):
        ref = ImageRef.model_validate(ref)
    if ref.data is not None:
        data = ref.data
    elif ref.url is not None:
        data = fetch_image_bytes(ref.url, limits=limits, product_id=product_id)
    else:
        data = _read_path(str(ref.path), root=root, limits=limits, who=subject(product_id))
    return decode_image_bytes(data, limits=limits, product_id=product_id)


# --- decoding ----------------------------------------------------------------------------------


def decode_image_bytes(
    data: bytes, *, limits: ImageLimits, product_id: str | None = None
) -> Image.Image:
    """Decode encoded image bytes into an upright RGB image (first frame if animated).

    The format and pixel count are checked from the header before any pixel is decoded.
    Alpha is composited on white; EXIF orientation is applied.

    Raises:
        ImageRejectedError: too many bytes or pixels, unsupported format, truncated or corrupt.
    """
    who = subject(product_id)
    if len(data) > limits.max_bytes:
        raise too_large(who, len(data), limits.max_bytes)
    with warnings.catch_warnings(record=True) as caught:
        # A malformed EXIF block makes Pillow warn once per bad tag (thousands): keep them here
        # and log one line. Pillow's own bomb guard warns (then errors) far above our cap: make
        # both a rejection.
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open_checked(data, limits=limits, who=who)
        try:
            image.seek(0)
            image.load()
            return _to_rgb(ImageOps.exif_transpose(image))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(who, exc, limits) from exc
        except (*_DECODE_ERRORS, zlib.error) as exc:
            raise ImageRejectedError(
                f"{who} could not be decoded (truncated or corrupt {image.format}): {exc}",
                reason="corrupt",
            ) from exc
        finally:
            _log_decoder_warnings(who, caught)


def _log_decoder_warnings(who: str, caught: list[warnings.WarningMessage]) -> None:
    """One log line for all the warnings a decode raised, however many there were."""
    if caught:
        logger.warning(
            "%s: the decoder warned %d times (malformed metadata such as EXIF); first: %s",
            who,
            len(caught),
            caught[0].message,
        )


#: Signatures named in "not a supported image" errors. The bytes themselves are never quoted:
#: a file under the image root that is not an image may hold anything (keys, configuration).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG data"),
    (b"\xff\xd8\xff", "JPEG data"),
    (b"GIF8", "GIF data"),
    (b"RIFF", "RIFF (WebP?) data"),
    (b"BM", "BMP data"),
    (b"II*\x00", "TIFF data"),
    (b"MM\x00*", "TIFF data"),
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"<", "text or markup"),
)


def _kind_of(data: bytes) -> str:
    """What ``data`` looks like, by its signature only, never by quoting it."""
    if not data:
        return "an empty file"
    kind = next((name for magic, name in _SIGNATURES if data.startswith(magic)), None)
    return kind or f"{len(data):,} bytes of unrecognised data"


def _open_checked(data: bytes, *, limits: ImageLimits, who: str) -> Image.Image:
    """Open (header only), then check the format and the pixel count."""
    try:
        # Only the allowed decoders even look at the bytes: less parser surface.
        image = Image.open(io.BytesIO(data), formats=sorted(limits.allowed_formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(who, exc, limits) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise ImageRejectedError(
            f"{who} is not a supported image; expected one of {_names(limits)}, "
            f"found {_kind_of(data)}",
            reason="unsupported_format",
        ) from exc
    fmt = _FORMAT_ALIASES.get(str(image.format), str(image.format))
    if fmt not in limits.allowed_formats:
        raise ImageRejectedError(
            f"{who} is {image.format}; expected one of {_names(limits)}",
            reason="unsupported_format",
        )
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageRejectedError(
            f"{who} is {width}x{height} px; the limit is {limits.max_pixels / 1e6:g} megapixels",
            reason="too_many_pixels",
        )
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB, compositing transparency on white."""
    if image.mode.startswith(("I", "F")):
        image = _wide_to_l(image)
    if image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _wide_to_l(image: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer or float grey to 8 bits (Pillow's own conversion clips)."""
    values = np.asarray(image).astype(np.float64)
    peak = float(values.max()) if values.size else 0.0
    if image.mode.startswith("F"):
        scale = 255.0 if peak <= 1.0 else 1.0
    else:
        scale = 1 / 257 if image.mode.startswith("I;16") or peak > 255 else 1.0
    return Image.fromarray(np.clip(values * scale + 0.5, 0, 255).astype(np.uint8))


# --- local paths -------------------------------------------------------------------------------


def _read_path(raw: str, *, root: Path | None, limits: ImageLimits, who: str) -> bytes:
    """Read a file that must resolve (symlinks included) inside ``root``.

    The path is resolved and checked, then opened component by component from the root with
    ``O_NOFOLLOW``: the resolved path has no links left, so a link met while opening was swapped
    in after the check, and the load is refused instead of following it out of the root.
    """
    resolved = _inside_root(raw, root=root, who=who)
    base = root.resolve() if root is not None else resolved.parent
    try:
        fd = _open_beneath(base, resolved.relative_to(base).parts)
    except _SwappedLinkError as exc:
        raise ImageRejectedError(
            f"{who}: path {raw!r} changed while it was opened (a symbolic link at {exc}); "
            "expected a file under the image root",
            reason="path_outside_root",
        ) from exc
    except OSError as exc:
        raise _unreadable(who, raw, exc, resolved) from exc
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise FileNotFoundError(f"{raw!r} is not a regular file")
            if info.st_size > limits.max_bytes:
                raise too_large(who, info.st_size, limits.max_bytes)
            data = handle.read(limits.max_bytes + 1)  # the file may have grown since fstat()
        except OSError as exc:
            raise _unreadable(who, raw, exc, resolved) from exc
    if len(data) > limits.max_bytes:
        raise too_large(who, len(data), limits.max_bytes)
    return data


class _SwappedLinkError(OSError):
    """A component of an already resolved path is a symbolic link now."""


def _open_beneath(base: Path, parts: tuple[str, ...]) -> int:
    """A read-only descriptor of ``base/parts...``, never following a symbolic link.

    Raises:
        _SwappedLinkError: a component is a link (it was not when the path was resolved).
        OSError: a component is missing or unreadable.
    """
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            # O_NONBLOCK: a FIFO swapped in opens at once (and fails the regular-file check).
            flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                # ELOOP: O_NOFOLLOW met a link. ENOTDIR: O_DIRECTORY met one (or a file).
                if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and _is_link(part, fd)):
                    raise _SwappedLinkError(str(Path(*parts[: depth + 1]))) from exc
                raise
            os.close(fd)
            fd = child
        if not parts:
            raise IsADirectoryError(f"{base} is the image root itself")
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _unreadable(who: str, raw: str, exc: OSError, path: Path) -> ImageRejectedError:
    # Opened relative to a directory, the error names one component: name the whole path (the
    # API keeps absolute paths out of its answers and logs them).
    found = f"[Errno {exc.errno}] {exc.strerror}: {str(path)!r}" if exc.errno else str(exc)
    return ImageRejectedError(
        f"{who}: expected a readable file at {raw!r} under the image root; found {found}",
        reason="not_found",
    )


def _inside_root(raw: str, *, root: Path | None, who: str) -> Path:
    """Resolve ``raw`` against ``root``; refuse it unless it stays inside.

    Containment is checked before existence, so paths outside the root cannot be probed.
    """
    if root is None:
        raise ImageRejectedError(
            f"{who} is a local path {raw!r}, but no image root is configured; "
            "expected a URL or inline data",
            reason="path_not_allowed",
        )
    base = root.resolve()
    try:
        resolved = (base / raw).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL byte, symlink loop
        raise ImageRejectedError(f"{who}: invalid path {raw!r}: {exc}", reason="not_found") from exc
    if not resolved.is_relative_to(base):
        raise ImageRejectedError(
            f"{who}: path {raw!r} resolves outside the image root {base}",
            reason="path_outside_root",
        )
    return resolved


def _names(limits: ImageLimits) -> str:
    return ", ".join(sorted(limits.allowed_formats))


def _bomb(who: str, exc: Exception, limits: ImageLimits) -> ImageRejectedError:
    """Pillow's own guard fired (before our header check could): quote our limit, not its own,
    unless the image is within ours (then Pillow's bound is the one that refused it)."""
    found = _PILLOW_PIXELS.search(str(exc))
    pixels = int(found.group(1)) if found else None
    size = f"{pixels:,} px" if pixels is not None else "more pixels than the decoder opens"
    if pixels is not None and pixels <= limits.max_pixels:
        bound = f"the decoder's own bound is {(Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} megapixels"
    else:
        bound = f"the limit is {limits.max_pixels / 1e6:g} megapixels"
    return ImageRejectedError(f"{who} is {size}; {bound}", reason="too_many_pixels")
