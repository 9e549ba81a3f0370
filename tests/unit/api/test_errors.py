"""hybrid.api.errors: domain errors to statuses, deadlines, no internals."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from support.api import (
    FakeSearcher,
    assert_error,
)
from support.apikeys import auth_header

from hybrid.api import create_app
from hybrid.errors import (
    ConfigurationError,
    HybridSearchError,
    ImageRejectedError,
    InvalidRequestError,
    ProductNotFoundError,
    SearchUnavailableError,
)
from hybrid.settings import Settings


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SearchUnavailableError("search on 'products' failed: timed out"), 503, "unavailable"),
        (ProductNotFoundError("product 'sku-9' is not in index 'products'"), 404, "not_found"),
        (InvalidRequestError("leg 'bm25' needs text"), 422, "invalid_request"),
        (
            ImageRejectedError("image is 9000x9000 px", reason="too_many_pixels"),
            413,
            "image_too_large",
        ),
        (
            ImageRejectedError("image at URL answered HTTP 404", reason="http_404"),
            422,
            "image_rejected",
        ),
        (
            ConfigurationError("index 'products' holds vectors of model 'x'; this is 'y'"),
            500,
            "configuration_error",
        ),
    ],
)
def test_service_errors_map_to_statuses_with_their_message(
    client: TestClient, fake: FakeSearcher, error: HybridSearchError, status: int, code: str
) -> None:
    fake.error = error
    response = client.post("/search", json={"text": "shoes"})
    assert_error(response, status, code, str(error))


def test_slow_search_is_answered_504_at_the_deadline(
    client: TestClient, fake: FakeSearcher
) -> None:
    fake.hang = True
    started = time.monotonic()
    response = client.post("/search", json={"text": "shoes"})
    assert_error(response, 504, "timeout", "did not finish within 3 s")
    assert time.monotonic() - started < 8


def test_unexpected_error_is_500_without_internals(settings: Settings, fake: FakeSearcher) -> None:
    fake.error = KeyError("secret internal state")
    app = create_app(settings, service=fake)
    with TestClient(app, raise_server_exceptions=False, headers=auth_header("all")) as client:
        response = client.post("/search", json={"text": "shoes"})
    body = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "see the server log" in body["detail"]


def test_unknown_route_and_method_get_json_errors(client: TestClient) -> None:
    assert_error(client.get("/nowhere"), 404, "not_found")
    assert_error(client.get("/search"), 405, "method_not_allowed")
