"""hybrid.images.fetch: http(s) from public hosts only, against a real server on loopback."""

from __future__ import annotations

import contextlib
import pickle
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import service_unavailable
from support.http import serving
from support.images import (
    LIMITS,
    LOOPBACK_OK,
    RED_PNG,
    rejected,
)

from hybrid.errors import ImageRejectedError
from hybrid.images import (
    ImageLimits,
    fetch_image_bytes,
    is_transient,
    load_image,
)


@pytest.mark.parametrize(
    ("reason", "transient"),
    [
        ("fetch_timeout", True),
        ("fetch_failed", True),
        ("http_503", True),
        ("http_429", True),
        ("http_404", False),
        ("forbidden_address", False),
        ("too_many_pixels", False),
    ],
)
def test_is_transient(reason: str, transient: bool) -> None:
    err = pickle.loads(pickle.dumps(ImageRejectedError("x", reason=reason)))
    assert is_transient(err) is transient


class _Handler(BaseHTTPRequestHandler):
    """Routes by path; HTTP/1.0, so a body without Content-Length ends when the socket closes."""

    hosts: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        _Handler.hosts.append(self.headers.get("Host", ""))
        name, _, arg = self.path.strip("/").partition("/")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            getattr(self, f"route_{name}", self.route_missing)(arg)

    def reply(
        self, status: int, body: bytes, *, ctype: str = "image/png", length: bool = True
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_ok(self, arg: str) -> None:
        self.reply(200, RED_PNG)

    def route_hops(self, arg: str) -> None:
        left = int(arg)
        self.redirect(f"/hops/{left - 1}" if left else "/ok")

    def route_to(self, arg: str) -> None:
        self.redirect(
            {"metadata": "http://169.254.169.254/latest/", "file": "file:///etc/passwd"}[arg]
        )

    def route_big(self, arg: str) -> None:
        self.reply(200, b"\0" * 5000, length=arg == "declared")

    def route_slow(self, arg: str) -> None:
        self.send_response(200)
        self.end_headers()
        for _ in range(60):  # one byte every 50 ms: no single read ever waits long
            self.wfile.write(b"\0")
            self.wfile.flush()
            time.sleep(0.05)

    def route_status(self, arg: str) -> None:
        self.reply(int(arg), b"nope", ctype="application/octet-stream")

    def route_html(self, arg: str) -> None:
        self.reply(200, b"<html>hi</html>", ctype="text/html")

    def route_blob(self, arg: str) -> None:
        self.reply(200, b"just some bytes", ctype="application/octet-stream")

    def route_missing(self, arg: str) -> None:
        self.reply(404, b"")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def test_url_loads_from_a_server(server: str) -> None:
    image = load_image(f"{server}/ok", root=None, limits=LOOPBACK_OK)
    assert image.getpixel((0, 0)) == (255, 0, 0)


def test_loopback_is_refused_by_default(server: str) -> None:
    with rejected("forbidden_address") as info:
        fetch_image_bytes(f"{server}/ok", limits=ImageLimits())
    assert "loopback" in str(info.value)


def test_connects_to_the_checked_address_with_the_original_host(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    calls: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["127.0.0.1"]

    body = fetch_image_bytes(
        f"http://images.shop.test:{port}/ok", limits=LOOPBACK_OK, resolver=resolver
    )
    assert body == RED_PNG
    assert calls == [("images.shop.test", port)]  # resolved once, never again by the client
    assert _Handler.hosts[-1] == f"images.shop.test:{port}"


@pytest.mark.parametrize("address", ["127.0.0.2", "::1"])
def test_connects_only_to_the_resolved_address(server: str, address: str) -> None:
    # The test server listens on 127.0.0.1 only: reaching it would mean the resolved address
    # was ignored. Refusal also shows ::1 passes the check when private networks are allowed.
    port = int(server.rsplit(":", 1)[1])
    with rejected("fetch_failed"):
        fetch_image_bytes(
            f"http://svc.internal:{port}/ok", limits=LOOPBACK_OK, resolver=lambda h, p: [address]
        )


def test_https_sends_the_host_name_and_verifies_its_certificate(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        service_unavailable("openssl", FileNotFoundError("no `openssl` command on PATH"))
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    args = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
    args += " -subj /CN=images.shop.test -addext subjectAltName=DNS:images.shop.test"
    args += f" -keyout {key} -out {cert}"
    subprocess.run([openssl, *args.split()], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []

    def record_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        server_names.append(name)

    context.sni_callback = record_sni
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_one() -> None:
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError):
            context.wrap_socket(conn, server_side=True).close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    url = f"https://images.shop.test:{listener.getsockname()[1]}/a.png"
    with listener, rejected("tls_failed") as info:
        fetch_image_bytes(url, limits=LOOPBACK_OK, resolver=lambda host, port: ["127.0.0.1"])
    thread.join(timeout=5)
    assert server_names == ["images.shop.test"]  # SNI names the host, not the pinned address
    assert not is_transient(info.value)


def test_ipv6_literal_url_is_fetched_with_a_valid_host_header() -> None:
    class _V6Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        httpd = _V6Server(("::1", 0), _Handler)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    try:
        assert fetch_image_bytes(f"http://[::1]:{port}/ok", limits=LOOPBACK_OK) == RED_PNG
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert _Handler.hosts[-1] == f"[::1]:{port}"


def test_redirect_chain_is_followed(server: str) -> None:
    assert fetch_image_bytes(f"{server}/hops/2", limits=LOOPBACK_OK) == RED_PNG


def test_too_many_redirects(server: str) -> None:
    with rejected("too_many_redirects"):
        fetch_image_bytes(f"{server}/hops/3", limits=LOOPBACK_OK)


@pytest.mark.parametrize(
    ("target", "reason"), [("metadata", "forbidden_address"), ("file", "scheme_not_allowed")]
)
def test_each_redirect_hop_is_revalidated(server: str, target: str, reason: str) -> None:
    with rejected(reason):
        fetch_image_bytes(f"{server}/to/{target}", limits=LOOPBACK_OK)


@pytest.mark.parametrize("declared", ["declared", "undeclared"])
def test_oversized_body_is_cut_off(server: str, declared: str) -> None:
    limits = ImageLimits(allow_private_networks=True, max_bytes=1000)
    with rejected("too_large") as info:
        fetch_image_bytes(f"{server}/big/{declared}", limits=limits)
    assert ("5000 bytes" in str(info.value)) is (declared == "declared")
    assert not is_transient(info.value)


def test_slow_body_hits_the_overall_deadline(server: str) -> None:
    limits = ImageLimits(allow_private_networks=True, fetch_timeout=0.4)
    start = time.monotonic()
    with rejected("fetch_timeout") as info:
        fetch_image_bytes(f"{server}/slow", limits=limits)
    assert time.monotonic() - start < 1.5
    assert is_transient(info.value)


@pytest.mark.parametrize(("status", "transient"), [(404, False), (500, True), (429, True)])
def test_error_status_is_rejected(server: str, status: int, transient: bool) -> None:
    with rejected(f"http_{status}") as info:
        fetch_image_bytes(f"{server}/status/{status}", limits=LOOPBACK_OK)
    assert is_transient(info.value) is transient


@pytest.mark.parametrize(
    ("path", "reason"), [("html", "not_an_image"), ("blob", "unsupported_format")]
)
def test_non_image_content_is_rejected(server: str, path: str, reason: str) -> None:
    with rejected(reason):
        load_image(f"{server}/{path}", root=None, limits=LOOPBACK_OK)


def test_connection_refused_is_transient() -> None:
    with rejected("fetch_failed") as info:
        fetch_image_bytes("http://127.0.0.1:9/", limits=LOOPBACK_OK)
    assert is_transient(info.value)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://cdn.shop/a.png", "gopher://cdn.shop/"]
)
def test_non_http_schemes_are_rejected(url: str) -> None:
    with rejected("scheme_not_allowed"):
        load_image(url, root=None, limits=LIMITS)


@pytest.mark.parametrize(
    ("addresses", "kind"),
    [
        (["10.1.2.3"], "private"),
        (["192.168.0.10"], "private"),
        (["172.16.5.4"], "private"),
        (["127.0.0.1"], "loopback"),
        (["100.64.0.1"], "carrier-grade NAT"),
        (["169.254.169.254"], "link-local"),
        (["0.0.0.0"], "unspecified"),
        (["224.0.0.1"], "multicast"),
        (["240.0.0.1"], "reserved"),
        (["::1"], "loopback"),
        (["fe80::1"], "link-local"),
        (["fd00::1"], "private"),
        (["::ffff:127.0.0.1"], "IPv6-embedded loopback"),
        (["93.184.216.34", "10.0.0.1"], "private"),  # every address is checked, not the first
    ],
)
def test_non_public_addresses_are_rejected(addresses: list[str], kind: str) -> None:
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return addresses

    with rejected("forbidden_address") as info:
        fetch_image_bytes("https://cdn.shop.test/a.png", limits=LIMITS, resolver=resolver)
    assert f"({kind}); expected a public address" in str(info.value)
    assert calls == ["cdn.shop.test"]


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "[fe80::1]", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]"]
)
def test_metadata_and_link_local_stay_refused_on_private_networks(host: str) -> None:
    with rejected("forbidden_address"):
        fetch_image_bytes(f"http://{host}/latest/meta-data/", limits=LOOPBACK_OK)


@pytest.mark.parametrize(
    "host",
    ["[::ffff:127.0.0.1]", "[::ffff:10.0.0.1]", "[::ffff:a9fe:a9fe]", "[2002:a9fe:a9fe::1]"],
    ids=["mapped-loopback", "mapped-private", "mapped-metadata", "6to4-metadata"],
)
def test_ipv6_addresses_embedding_ipv4_are_checked_as_ipv4(host: str) -> None:
    with rejected("forbidden_address") as info:
        fetch_image_bytes(f"http://{host}/a.png", limits=LIMITS)
    assert "IPv6-embedded" in str(info.value)
