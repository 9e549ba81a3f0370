"""hybrid.api.redact: what of a message a caller may read."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybrid.api.redact import public_message, strip_credentials

ROOT = Path("/srv/shop/images")


@pytest.mark.parametrize(
    ("message", "status", "public"),
    [
        (
            "path '../../etc/passwd' resolves outside the image root /srv/shop/images",
            422,
            "path '../../etc/passwd' resolves outside the image root <image root>",
        ),
        (
            "no file at 'a.png'; found [Errno 2] No such file: '/srv/shop/images/a/b.png'",
            422,
            "no file at 'a.png'; found [Errno 2] No such file: 'a/b.png'",
        ),
        ("found '/srv/shop/imagesX/a.png' and /var/lib/x", 422, "found '<path>' and <path>"),
        (
            "image at URL 'https://bob:pw@shop.example/a.png' answered HTTP 404",
            422,
            "image at URL 'https://***@shop.example/a.png' answered HTTP 404",
        ),
        (
            "queue is unavailable: Error 111 connecting to 127.0.0.1:6379. Connection refused.",
            503,
            "queue is unavailable: Error 111 connecting to <host>. Connection refused.",
        ),
        (
            "unavailable at http://es.internal:9200/ es.internal:9200 [::1]:9200 localhost",
            503,
            "unavailable at <url> <host> <host> <host>",
        ),
        ("expected Content-Type application/json; found 'text/plain'", 415, None),
        ("query.version: Input should be a valid integer; size * page is 1500", 422, None),
        ("product 'sku-9' is not in index 'products'", 404, None),
    ],
)
def test_public_messages(message: str, status: int, public: str | None) -> None:
    assert public_message(message, status=status, image_root=ROOT, cause=None) == (
        public or message
    )


def test_5xx_messages_lose_their_causes_text() -> None:
    cause = OSError("connect to 10.0.0.7 port 9200 failed")
    message = f"search on 'products' failed: {cause}"
    assert public_message(message, status=503, cause=cause) == (
        "search on 'products' failed: OSError"
    )
    # A 4xx keeps it: there the message is about the caller's own input.
    bad = ValueError("colour 'reddish' is unknown")
    assert public_message(f"filter: {bad}", status=422, cause=bad) == f"filter: {bad}"


def test_strip_credentials_masks_userinfo_only() -> None:
    assert strip_credentials("redis://:pw@h:6379/0 and http://a@b/c") == (
        "redis://***@h:6379/0 and http://***@b/c"
    )
