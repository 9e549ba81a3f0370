"""Downloading images over http(s) from public hosts only.

The host is resolved once and every resolved address checked, then the connection goes to the
checked address only (the host name still goes in the ``Host`` header and TLS SNI), so DNS
rebinding cannot swap the address between the check and the connection. ``httpcore`` (httpx's
transport) is used directly with a network backend that pins the address and enforces one
deadline over the whole download; httpcore never reads proxy settings from the environment.
The rejection reasons are listed in :mod:`hybrid.images`.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

from hybrid.errors import ImageRejectedError
from hybrid.images.limits import ImageLimits, subject, too_large

#: ``resolver(host, port)`` returns every address the host name resolves to.
Resolver = Callable[[str, int], Sequence[str]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TEXT_TYPES = ("text/", "application/json", "application/xhtml+xml", "application/xml")


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
    who = subject(product_id)
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
        raise too_large(who, int(declared), limits.max_bytes)
    body = bytearray()
    for chunk in resp.iter_stream():
        body += chunk
        if len(body) > limits.max_bytes:
            raise too_large(who, len(body), limits.max_bytes, partial=True)
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


def _timeout(who: str, url: httpx.URL, limits: ImageLimits) -> ImageRejectedError:
    return ImageRejectedError(
        f"{who}: downloading {url} took longer than {limits.fetch_timeout:g} s",
        reason="fetch_timeout",
    )
