"""Error bodies carry no internals (hosts, ports, client text, paths, URL credentials).

Each case also checks that the full story went to the server log under the answer's request
id, so nothing is lost to the operators.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from support.api import FakeSearcher, assert_error, png
from support.apikeys import auth_header
from support.http import serving

from hybrid.api import create_app
from hybrid.errors import ElasticsearchRefusedError
from hybrid.images import load_image
from hybrid.query.request import SearchRequest
from hybrid.settings import Settings

ENDPOINT = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|localhost|:\d{2,5}\b")
CLIENT_WORDS = ("urllib3", "NewConnectionError", "Errno", "HTTPConnection", "Traceback")


def assert_no_internals(response: Any, *secrets: str) -> None:
    text = response.text
    assert not ENDPOINT.search(text), text
    for word in (*CLIENT_WORDS, *secrets):
        assert word not in text, f"{word!r} in {text}"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def logged_under(caplog: pytest.LogCaptureFixture, response: Any) -> str:
    """The log lines of ``response``'s request (those that carry its id)."""
    request_id = response.headers["X-Request-ID"]
    return "\n".join(r.getMessage() for r in caplog.records if request_id in r.getMessage())


def test_503_with_elasticsearch_unreachable_names_no_host_or_port(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.get("/products/sku-1")
    assert_error(response, 503, "unavailable", "Elasticsearch is unavailable")
    assert_no_internals(response)
    port = str(urlsplit(settings.effective_es_url).port)
    assert port in logged_under(caplog, response)  # the operators still see where


def test_503_with_redis_unreachable_names_no_host_or_port(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/products", json=[{"id": "sku-1", "title": "Red sneaker"}])
    assert_error(response, 503, "unavailable", "ingestion queue (Redis) is unavailable")
    assert_no_internals(response)
    assert str(urlsplit(settings.effective_redis_url).port) in logged_under(caplog, response)


def _refusing_elasticsearch(reason: str) -> type[BaseHTTPRequestHandler]:
    """Answers every request like Elasticsearch refusing it (400), with ``reason`` in the body."""
    body = json.dumps(
        {"error": {"type": "illegal_argument_exception", "reason": reason}, "status": 400}
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def test_a_refused_product_id_does_not_echo_elasticsearch(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reason = "id [sku-1] rejected by node es-data-7 at 10.20.30.40:9300, data /var/lib/es"
    with serving(_refusing_elasticsearch(reason)) as url:
        live = settings.model_copy(update={"es_url": url})
        with TestClient(create_app(live, service=FakeSearcher(live))) as client:
            response = client.get("/products/sku-1", headers=auth_header("all"))
    assert_error(response, 422, "invalid_request", "product id 'sku-1' is not a valid id")
    assert_no_internals(response, "es-data-7", "/var/lib", "illegal_argument")


def test_a_refusal_wrapping_client_text_answers_502_without_it(
    client: TestClient, fake: FakeSearcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    cause = ConnectionError("node http://elastic:hunter2@es-7.internal:9200 said no")
    error = ElasticsearchRefusedError(f"search on 'products' failed: {cause}", status=400)
    error.__cause__ = cause
    fake.error = error
    response = client.post("/search", json={"text": "shoes"})
    assert_error(response, 502, "backend_refused", "search on 'products' failed: ConnectionError")
    assert_no_internals(response, "hunter2", "es-7.internal")
    assert "hunter2" not in caplog.text  # credentials never reach the log either...
    assert "es-7.internal:9200" in logged_under(caplog, response)  # ...the endpoint does


class RootedSearcher(FakeSearcher):
    """Loads images like the real executor, local paths under the image root included."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.root = settings.image_root

    def search(self, request: SearchRequest) -> dict[str, Any]:
        if request.image is not None:
            load_image(request.image, root=self.root, limits=self.limits)
        return super().search(request.model_copy(update={"image": None}))


@pytest.fixture
def rooted(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "secret-image-root"
    root.mkdir()
    (root / "shoe.png").write_bytes(png())
    (tmp_path / "outside.png").write_bytes(png())
    (root / "escape.png").symlink_to(tmp_path / "outside.png")
    live = settings.model_copy(update={"image_root": root})
    with TestClient(create_app(live, service=RootedSearcher(live))) as client:
        client.headers.update(auth_header("all"))
        yield client


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("missing/shoe.png", "'missing/shoe.png'"),
        ("../outside.png", "outside the image root"),
        ("escape.png", "outside the image root"),
    ],
)
def test_image_path_errors_show_no_absolute_path(
    rooted: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str, fragment: str
) -> None:
    caplog.set_level(logging.INFO)
    assert rooted.post("/search", json={"image": {"path": "shoe.png"}}).status_code == 200
    response = rooted.post("/search", json={"image": {"path": path}})
    body = assert_error(response, 422, "image_rejected", fragment)
    assert str(tmp_path) not in response.text and "secret-image-root" not in body["detail"]
    assert str(tmp_path) in logged_under(caplog, response)


def test_url_credentials_are_masked_in_image_errors(client: TestClient) -> None:
    url = "http://shopuser:s3cr3t-pw@127.0.0.1:9/img.png"
    response = client.post("/search", json={"image": {"url": url}})
    assert response.status_code == 422, response.text
    assert "s3cr3t-pw" not in response.text and "shopuser" not in response.text
