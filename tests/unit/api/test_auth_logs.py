"""No API key reaches a log line, whatever the request did with it."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from support.api import FakeSearcher
from support.apikeys import KEYS, auth_header

from hybrid.api import create_app
from hybrid.api.auth import hash_key
from hybrid.settings import Settings


def test_no_key_or_digest_appears_in_the_logs(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    unknown = "hyb_unknown-key-that-is-not-configured-12345"
    with TestClient(create_app(settings, service=FakeSearcher(settings))) as client:
        statuses = [
            client.post(
                "/search", json={"text": "shoes"}, headers=auth_header("searcher")
            ).status_code,
            client.post(
                "/products", json=[{"id": "a", "title": "t"}], headers=auth_header("writer")
            ).status_code,
            client.delete("/products/sku-1", headers=auth_header("searcher")).status_code,
            client.get("/health", headers=auth_header("admin", scheme="Bearer")).status_code,
            client.post(
                "/search", json={"text": "x"}, headers={"Authorization": f"ApiKey {unknown}"}
            ).status_code,
            client.post(
                "/search", json={"text": "x"}, headers={"Authorization": f"Basic {unknown}"}
            ).status_code,
        ]
    assert statuses == [200, 503, 403, 503, 401, 401]
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "API keys: searcher (search), writer (write), admin" in logged  # ids, not secrets
    for key, _scopes in KEYS.values():
        assert key not in logged and hash_key(key) not in logged
    assert unknown not in logged
    # the refusal's own log line: ": 403 " (a request id may contain "403" by chance)
    refused = [r.getMessage() for r in caplog.records if ": 403 " in r.getMessage()]
    assert refused and "'searcher' lacks scope 'write'" in refused[0]
