"""Safe image loading from a local path, an http(s) URL or raw bytes.

Every image the project decodes, at ingestion or in an image query, comes through here. Anything
refused raises :class:`~hybrid.errors.ImageRejectedError` whose ``reason`` is one of:

=====================  ==========================================================================
``path_not_allowed``   a local path was given but no image root is configured
``path_outside_root``  the path (after ``..`` and symlinks) leaves the image root
``not_found``          the file does not exist or is not a regular file
``too_large``          more bytes than ``max_bytes`` (file, body, or ``Content-Length``)
``too_many_pixels``    the header announces more than ``max_pixels``
``unsupported_format`` not an image, or a format outside the allow-list
``corrupt``            truncated or undecodable pixel data
``invalid_url``        a URL that cannot be parsed
``scheme_not_allowed`` anything but http and https
``forbidden_address``  the host resolves to a private, loopback, link-local... address
``dns_failed``         the host name does not resolve
``too_many_redirects`` more than ``max_redirects`` hops
``not_an_image``       the server answered with a text/HTML/JSON body
``http_<status>``      a non-2xx answer, e.g. ``http_404``, ``http_503``
``tls_failed``         the server's certificate could not be verified
``fetch_timeout``      the whole download took longer than ``fetch_timeout`` (transient)
``fetch_failed``       connection refused/reset, protocol error (transient)
=====================  ==========================================================================

:func:`is_transient` tells a retrying caller (the Celery ingest task) which of these may succeed
on a later attempt.

URL fetches resolve the host once, check every resolved address, then connect to the checked
address only (the host name still goes in the ``Host`` header and TLS SNI), so DNS rebinding cannot
swap the address between the check and the connection. They use ``httpcore`` (httpx's transport)
directly with a network backend that pins the address and enforces one deadline over the whole
download; httpcore never reads proxy settings from the environment.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import re
import socket
import ssl
import stat
import struct
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urljoin

import httpcore
import httpx
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, field_serializer, field_validator, model_validator

from hybrid.errors import ImageRejectedError
from hybrid.settings import Settings

__all__ = [
    "ImageLimits",
    "ImageRef",
    "Resolver",
    "decode_image_bytes",
    "fetch_image_bytes",
    "is_transient",
    "load_image",
]

#: ``resolver(host, port)`` returns every address the host name resolves to.
Resolver = Callable[[str, int], Sequence[str]]

_DEFAULT_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP"})
# Pillow reports multi-picture JPEGs (most phone cameras) as MPO: they are JPEGs.
_FORMAT_ALIASES = {"MPO": "JPEG"}
# Pillow signals bad or truncated data with a wide range of exception types.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TEXT_TYPES = ("text/", "application/json", "application/xhtml+xml", "application/xml")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


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
        data = _read_path(str(ref.path), root=root, limits=limits, who=_who(product_id))
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
    who = _who(product_id)
    if len(data) > limits.max_bytes:
        raise _too_large(who, len(data), limits.max_bytes)
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns (then errors) far above our cap; make both a rejection.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open_checked(data, limits=limits, who=who)
        try:
            image.seek(0)
            image.load()
            return _to_rgb(ImageOps.exif_transpose(image))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(who, exc) from exc
        except (*_DECODE_ERRORS, zlib.error) as exc:
            raise ImageRejectedError(
                f"{who} could not be decoded (truncated or corrupt {image.format}): {exc}",
                reason="corrupt",
            ) from exc


def _open_checked(data: bytes, *, limits: ImageLimits, who: str) -> Image.Image:
    """Open (header only), then check the format and the pixel count."""
    try:
        # Only the allowed decoders even look at the bytes: less parser surface.
        image = Image.open(io.BytesIO(data), formats=sorted(limits.allowed_formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(who, exc) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise ImageRejectedError(
            f"{who} is not a supported image; expected one of {_names(limits)}, "
            f"found data starting {data[:8]!r}",
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
    """Read a file that must resolve (symlinks included) inside ``root``."""
    resolved = _inside_root(raw, root=root, who=who)
    try:
        info = resolved.stat()
        if not stat.S_ISREG(info.st_mode):
            raise FileNotFoundError(f"{resolved} is not a regular file")
        if info.st_size > limits.max_bytes:
            raise _too_large(who, info.st_size, limits.max_bytes)
        with resolved.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ImageRejectedError(
            f"{who}: expected a readable file at {raw!r} under the image root; found {exc}",
            reason="not_found",
        ) from exc
    if len(data) > limits.max_bytes:
        raise _too_large(who, len(data), limits.max_bytes)
    return data


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


# --- URLs --------------------------------------------------------------------------------------


def fetch_image_bytes(
    url: str,
    *,
    limits: ImageLimits,
    product_id: str | None = None,
    resolver: Resolver | None = None,
) -> bytes:
    """Download an image over http(s), refusing anything that is not a public host.

    Each redirect hop is re-validated (scheme, resolved addresses). The body is capped at
    ``limits.max_bytes`` and the whole download, redirects included, at ``limits.fetch_timeout``.

    Args:
        url: the http or https URL.
        limits: size, timeout, redirect and network limits.
        product_id: named in error messages.
        resolver: ``resolver(host, port) -> addresses``; defaults to ``socket.getaddrinfo``.

    Raises:
        ImageRejectedError: see the module docstring for the reasons; :func:`is_transient`
            tells which are worth retrying.
    """
    who = _who(product_id)
    deadline = time.monotonic() + limits.fetch_timeout
    current = url
    for _ in range(limits.max_redirects + 1):
        target, address = _check_url(current, limits=limits, who=who, resolver=resolver)
        body, location = _get_once(target, address, deadline=deadline, limits=limits, who=who)
        if location is None:
            return body
        current = urljoin(str(target), location)
    raise ImageRejectedError(
        f"{who} at {url!r} redirects more than {limits.max_redirects} times",
        reason="too_many_redirects",
    )


def is_transient(err: ImageRejectedError) -> bool:
    """True when a later attempt may succeed: timeouts, connection errors, HTTP 5xx and 429."""
    if err.reason in ("fetch_timeout", "fetch_failed"):
        return True
    status = err.reason.removeprefix("http_")
    return status.isdigit() and (int(status) >= 500 or int(status) == 429)


def _check_url(
    url: str, *, limits: ImageLimits, who: str, resolver: Resolver | None
) -> tuple[httpx.URL, str]:
    """Parse ``url``, check its scheme and every address its host resolves to.

    Returns:
        The parsed URL and the checked address to connect to.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ImageRejectedError(
            f"{who}: {url!r} is not a valid URL", reason="invalid_url"
        ) from exc
    if parsed.scheme not in ("http", "https"):
        raise ImageRejectedError(
            f"{who}: URL {url!r} has scheme {parsed.scheme!r}; expected http or https",
            reason="scheme_not_allowed",
        )
    if not parsed.host:
        raise ImageRejectedError(f"{who}: URL {url!r} has no host", reason="invalid_url")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _resolve(parsed.raw_host.decode("ascii"), port, resolver=resolver, who=who)
    for address in addresses:
        problem = _address_problem(address, allow_private=limits.allow_private_networks)
        if problem is not None:
            raise ImageRejectedError(
                f"{who}: host {parsed.host!r} resolves to {address} ({problem}); "
                "expected a public address",
                reason="forbidden_address",
            )
    return parsed, addresses[0]


def _resolve(host: str, port: int, *, resolver: Resolver | None, who: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass  # a name, not a literal address
    try:
        found = list(resolver(host, port) if resolver else _system_resolver(host, port))
    except socket.gaierror as exc:
        reason = "fetch_failed" if exc.errno == socket.EAI_AGAIN else "dns_failed"
        raise ImageRejectedError(
            f"{who}: host {host!r} does not resolve: {exc}", reason=reason
        ) from exc
    if not found:
        raise ImageRejectedError(f"{who}: host {host!r} has no address", reason="dns_failed")
    return found


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _address_problem(address: str, *, allow_private: bool) -> str | None:
    """Name the class of a forbidden address, or None if connecting to it is allowed."""
    ip = ipaddress.ip_address(address)
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        problem = _address_problem(str(embedded), allow_private=allow_private)
        return None if problem is None else f"IPv6-embedded {problem}"
    checks = [
        ("link-local", ip.is_link_local),  # includes 169.254.169.254, the cloud metadata service
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified or ip in _THIS_NETWORK),
        ("reserved", ip.is_reserved and not ip.is_loopback),  # IPv6 ::/8 holds ::1
    ]
    if not allow_private:
        checks += [
            ("loopback", ip.is_loopback),
            ("carrier-grade NAT", ip in _CGNAT),
            ("private", ip.is_private or not ip.is_global),
        ]
    return next((name for name, hit in checks if hit), None)


def _embedded_ipv4(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried by an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip in _NAT64:
        return ipaddress.IPv4Address(ip.packed[-4:])
    return ip.ipv4_mapped or ip.sixtofour


def _get_once(
    url: httpx.URL, address: str, *, deadline: float, limits: ImageLimits, who: str
) -> tuple[bytes, str | None]:
    """One GET to ``address``; returns (body, None) or (b"", redirect location)."""
    remaining = _remaining(deadline, who)
    target = httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )
    backend = _PinnedBackend(address, deadline)
    timeouts = {name: remaining for name in ("connect", "read", "write", "pool")}
    # httpx's netloc brackets IPv6 literals; httpcore's default Host header would not.
    headers = [(b"Host", url.netloc), (b"Accept", b"image/*"), (b"Accept-Encoding", b"identity")]
    try:
        with (
            httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(trust_env=False),
                network_backend=backend,
                retries=0,
            ) as pool,
            pool.stream("GET", target, headers=headers, extensions={"timeout": timeouts}) as resp,
        ):
            return _read_response(resp, url=url, limits=limits, who=who)
    except httpcore.TimeoutException as exc:
        raise _timeout(who, url, limits) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        if isinstance(exc.__context__, ssl.SSLCertVerificationError):
            raise ImageRejectedError(
                f"{who}: TLS failed for {url}: {exc}", reason="tls_failed"
            ) from exc
        raise ImageRejectedError(
            f"{who}: could not fetch {url}: {type(exc).__name__}: {exc}", reason="fetch_failed"
        ) from exc


def _read_response(
    resp: httpcore.Response, *, url: httpx.URL, limits: ImageLimits, who: str
) -> tuple[bytes, str | None]:
    headers = httpx.Headers(resp.headers)
    if resp.status in _REDIRECTS and "location" in headers:
        return b"", headers["location"]
    if not 200 <= resp.status < 300:
        raise ImageRejectedError(
            f"{who}: {url} answered HTTP {resp.status}; expected 2xx", reason=f"http_{resp.status}"
        )
    content_type = headers.get("content-type", "").lower()
    if content_type.startswith(_TEXT_TYPES):
        raise ImageRejectedError(
            f"{who}: {url} is {content_type!r}; expected an image", reason="not_an_image"
        )
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(who, int(declared), limits.max_bytes)
    body = bytearray()
    for chunk in resp.iter_stream():
        body += chunk
        if len(body) > limits.max_bytes:
            raise _too_large(who, len(body), limits.max_bytes, partial=True)
    return bytes(body), None


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to one pre-checked address, whatever host httpcore asks for, within a deadline."""

    def __init__(self, address: str, deadline: float) -> None:
        self._address = address
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            self._address,
            port,
            timeout=_clamp(timeout, self._deadline, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never used for image fetches")


class _DeadlineStream(httpcore.NetworkStream):
    """Clamps every read/write timeout to what is left of the download's overall deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, self._deadline, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, self._deadline, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        clamped = _clamp(timeout, self._deadline, httpcore.ConnectTimeout)
        tls = self._inner.start_tls(ssl_context, server_hostname, clamped)
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _clamp(timeout: float | None, deadline: float, error: type[Exception]) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the overall image download deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


def _remaining(deadline: float, who: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ImageRejectedError(f"{who}: download deadline passed", reason="fetch_timeout")
    return remaining


# --- messages ----------------------------------------------------------------------------------


def _who(product_id: str | None) -> str:
    return "image" if product_id is None else f"image for product {product_id!r}"


def _names(limits: ImageLimits) -> str:
    return ", ".join(sorted(limits.allowed_formats))


def _too_large(who: str, size: int, limit: int, *, partial: bool = False) -> ImageRejectedError:
    found = f"more than {limit} bytes" if partial else f"{size} bytes"
    return ImageRejectedError(f"{who} is {found}; the limit is {limit} bytes", reason="too_large")


def _bomb(who: str, exc: Exception) -> ImageRejectedError:
    return ImageRejectedError(f"{who} has too many pixels: {exc}", reason="too_many_pixels")


def _timeout(who: str, url: httpx.URL, limits: ImageLimits) -> ImageRejectedError:
    return ImageRejectedError(
        f"{who}: downloading {url} took longer than {limits.fetch_timeout:g} s",
        reason="fetch_timeout",
    )
