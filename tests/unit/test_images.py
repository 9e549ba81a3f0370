"""Tests for hybrid.images: real files written with Pillow, a real HTTP server on loopback."""

from __future__ import annotations

import contextlib
import io
import pickle
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image, ImageSequence
from pydantic import ValidationError

from hybrid.errors import ImageRejectedError
from hybrid.images import (
    ImageLimits,
    ImageRef,
    decode_image_bytes,
    fetch_image_bytes,
    is_transient,
    load_image,
)
from hybrid.settings import Settings

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


# --- decoding ------------------------------------------------------------------------------


def test_decodes_png_to_rgb() -> None:
    image = decode_image_bytes(RED_PNG, limits=LIMITS)
    assert (image.mode, image.size, image.getpixel((3, 3))) == ("RGB", (8, 8), (255, 0, 0))


@pytest.mark.parametrize(
    "data",
    [
        encode(Image.new("RGB", (8, 8)), "TIFF"),
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        b"",
    ],
    ids=["tiff", "svg", "empty"],
)
def test_unsupported_format_is_rejected(data: bytes) -> None:
    with rejected("unsupported_format"):
        decode_image_bytes(data, limits=LIMITS)


def test_format_allow_list_reads_the_header_not_a_name() -> None:
    with rejected("unsupported_format") as info:
        decode_image_bytes(RED_PNG, limits=ImageLimits(allowed_formats=frozenset({"JPEG"})))
    assert "expected one of JPEG, found data starting b'\\x89PNG" in str(info.value)


def test_multi_picture_jpeg_counts_as_jpeg(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    (tmp_path / "photo.png").write_bytes(data)  # the name says PNG; the header decides
    limits = ImageLimits(allowed_formats=frozenset({"JPEG"}))
    out = load_image("photo.png", root=tmp_path, limits=limits)
    assert np.allclose(px(out, 4, 4), (255, 0, 0), atol=8)


@pytest.mark.parametrize("side", [7_000, 10_000, 100_000], ids=["ours", "pil-warn", "pil-error"])
def test_pixel_bomb_is_rejected_from_the_header(side: int) -> None:
    with rejected("too_many_pixels") as info:
        decode_image_bytes(png_header(side, side), limits=LIMITS, product_id="sku-42")
    assert "product 'sku-42'" in str(info.value)
    if side == 7_000:
        assert "7000x7000 px; the limit is 40 megapixels" in str(info.value)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_is_a_rejection_even_under_a_higher_cap() -> None:
    # 100 MP is under this cap but over Pillow's own bomb threshold, which only warns.
    with rejected("too_many_pixels"):
        decode_image_bytes(png_header(10_000, 10_000), limits=ImageLimits(max_pixels=10**9))


def test_truncated_file_is_rejected() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise))
    with rejected("corrupt"):
        decode_image_bytes(data[: len(data) // 2], limits=LIMITS)


def test_too_many_bytes_is_rejected() -> None:
    with rejected("too_large"):
        decode_image_bytes(RED_PNG, limits=ImageLimits(max_bytes=len(RED_PNG) - 1))


def test_rgba_is_composited_on_white() -> None:
    image = Image.new("RGBA", (2, 1))
    image.putpixel((0, 0), (255, 0, 0, 0))
    image.putpixel((1, 0), (0, 0, 255, 128))
    out = decode_image_bytes(encode(image), limits=LIMITS)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert np.allclose(px(out, 1, 0), (127, 127, 255), atol=2)


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.putpixel((1, 0), 1)
    return encode(image, transparency=0)


def _la() -> bytes:
    image = Image.new("LA", (2, 1), (0, 0))
    image.putpixel((1, 0), (0, 255))
    return encode(image)


def _sixteen_bit() -> bytes:
    return encode(Image.fromarray(np.array([[0, 32896]], dtype=np.uint16)))


@pytest.mark.parametrize(
    ("data", "left", "right"),
    [
        (_palette_with_transparency(), (255, 255, 255), (255, 0, 0)),
        (_la(), (255, 255, 255), (0, 0, 0)),
        (_sixteen_bit(), (0, 0, 0), (128, 128, 128)),
        (encode(Image.new("1", (2, 1), 1)), (255, 255, 255), (255, 255, 255)),
    ],
    ids=["P+transparency", "LA", "I;16", "1-bit"],
)
def test_every_mode_becomes_rgb(
    data: bytes, left: tuple[int, int, int], right: tuple[int, int, int]
) -> None:
    out = decode_image_bytes(data, limits=LIMITS)
    assert out.mode == "RGB"
    assert (out.getpixel((0, 0)), out.getpixel((1, 0))) == (left, right)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    out = decode_image_bytes(data, limits=LIMITS)
    assert out.mode == "RGB"
    assert np.allclose(px(out, 8, 8), (255, 0, 0), atol=6)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    out = decode_image_bytes(encode(image, "JPEG", exif=exif, quality=95), limits=LIMITS)
    assert out.size == (20, 40)
    assert np.allclose(px(out, 10, 5), (255, 0, 0), atol=12)  # left became top
    assert np.allclose(px(out, 10, 35), (0, 0, 255), atol=12)


def test_animated_gif_gives_the_first_frame() -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert len(list(ImageSequence.Iterator(Image.open(io.BytesIO(data))))) == 2
    out = decode_image_bytes(data, limits=LIMITS)
    assert out.getpixel((4, 4)) == (255, 0, 0)


# --- local paths ---------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    inside = tmp_path / "root"
    inside.mkdir()
    (inside / "red.png").write_bytes(RED_PNG)
    (tmp_path / "secret.png").write_bytes(RED_PNG)
    return inside


def test_path_inside_root_loads(root: Path) -> None:
    (root / "alias.png").symlink_to(root / "red.png")
    for ref in ("red.png", "alias.png", str(root / "red.png"), ImageRef(path="./red.png")):
        assert load_image(ref, root=root, limits=LIMITS).getpixel((0, 0)) == (255, 0, 0)


def test_paths_are_refused_without_a_root(root: Path) -> None:
    with rejected("path_not_allowed"):
        load_image(str(root / "red.png"), root=None, limits=LIMITS)


@pytest.mark.parametrize(
    "ref", ["../secret.png", "nowhere/../../secret.png", "../nothing.png", "ABS"]
)
def test_path_traversal_is_rejected(root: Path, ref: str) -> None:
    ref = str(root.parent / "secret.png") if ref == "ABS" else ref
    with rejected("path_outside_root"):
        load_image(ref, root=root, limits=LIMITS)


def test_symlink_escaping_root_is_rejected(root: Path) -> None:
    (root / "escape.png").symlink_to(root.parent / "secret.png")
    with rejected("path_outside_root"):
        load_image("escape.png", root=root, limits=LIMITS)


@pytest.mark.parametrize("ref", ["missing.png", "."])
def test_missing_or_non_regular_file_is_rejected(root: Path, ref: str) -> None:
    with rejected("not_found"):
        load_image(ref, root=root, limits=LIMITS)


def test_file_size_is_checked_before_reading(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_open)
    with rejected("too_large"):
        load_image("red.png", root=root, limits=ImageLimits(max_bytes=10))


# --- ImageRef, limits, transient -----------------------------------------------------------


def test_image_ref_from_plain_strings() -> None:
    assert ImageRef.model_validate("https://cdn.shop/a.png").url == "https://cdn.shop/a.png"
    assert ImageRef.model_validate("HTTP://cdn.shop/a.png").url is not None
    assert ImageRef.model_validate("img/a.png").path == "img/a.png"
    assert ImageRef.model_validate("ftp://x/a.png").url == "ftp://x/a.png"  # refused on load


def test_image_ref_data_is_base64_in_json() -> None:
    ref = ImageRef(data=RED_PNG)
    as_json = ref.model_dump_json()
    assert '"data":"iVBORw0KGgo' in as_json
    assert ImageRef.model_validate_json(as_json) == ref
    assert ImageRef.model_validate(ref.model_dump()) == ref  # Python mode: raw bytes
    with pytest.raises(ValidationError, match="expected base64"):
        ImageRef.model_validate({"data": "not base64!"})


@pytest.mark.parametrize(
    "payload",
    [{}, {"path": "a.png", "url": "https://x/a.png"}, {"path": "a.png", "colour": "red"}],
)
def test_image_ref_needs_exactly_one_known_field(payload: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ImageRef.model_validate(payload)


def test_limits_from_settings() -> None:
    settings = Settings(max_image_pixels=1000, max_image_bytes=2000, image_max_redirects=0)
    limits = ImageLimits.from_settings(settings)
    assert (limits.max_pixels, limits.max_bytes, limits.max_redirects) == (1000, 2000, 0)
    assert limits.allow_private_networks is False


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


# --- URLs against a real server on loopback ------------------------------------------------


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
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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
        pytest.skip("needs the openssl command to make a self-signed certificate")
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
