"""hybrid.api.requestid: one id per request, in the header, the error body and the log lines."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from hybrid.api.requestid import accepted_request_id


@pytest.mark.parametrize("incoming", ["abc-123", "a" * 128, "Trace.ID_7"])
def test_a_sane_incoming_id_is_kept(client: TestClient, incoming: str) -> None:
    response = client.get("/products/sku-1", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert response.json()["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming", ["", "a" * 129, "has space", "semi;colon", "pct%s", "new\\nline"]
)
def test_an_insane_incoming_id_is_replaced(incoming: str) -> None:
    replaced = accepted_request_id(incoming)
    assert replaced != incoming and len(replaced) == 32 and replaced.isalnum()


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    ids = {client.post("/search", json={"text": "shoes"}).headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_a_413_before_the_app_still_carries_the_id(client: TestClient) -> None:
    response = client.post("/search", content=b"x" * 10_000_000)
    assert response.status_code == 413
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_every_log_line_of_a_request_carries_its_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.get("/products/sku-1", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 503
    # The Elasticsearch client's own lines come from a worker thread: they carry it too.
    during = [r for r in caplog.records if getattr(r, "request_id", "-") == "req-42"]
    assert {r.name.split(".")[0] for r in during} >= {"hybrid", "elastic_transport"}
    assert all(r.getMessage().startswith("[request req-42] ") for r in during)
    outside = [r for r in caplog.records if r.name == "httpx2"]  # the test client's, after it
    assert outside and all(getattr(r, "request_id", "-") == "-" for r in outside)
