"""The endpoint x credential matrix against the real Elasticsearch, Redis and Celery worker.

Allowed calls do their real work here (a search answers 200, a write is enqueued and indexed,
202); the unit matrix (tests/unit/api/test_auth_matrix.py) covers anonymous search both ways
without services. Nothing a caller sends as a key may reach the API's or the worker's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from support.api import png
from support.apikeys import KEYS, auth_header, configured
from support.catalogue import catalogue
from support.wait import wait_until

from hybrid.api import create_app
from hybrid.settings import Settings

pytestmark = pytest.mark.worker

Call = Callable[[TestClient, dict[str, str]], Any]
CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "anonymous": {},
    "bad key": {"Authorization": "Bearer hyb_not-a-configured-key-0000000000"},
    "search key": auth_header("searcher"),
    "write key": auth_header("writer"),
    "admin key": auth_header("admin", scheme="Bearer"),
    "all scopes": auth_header("all"),
}
#: route -> (the scope it needs, or None for /health; its answer when allowed)
POLICY: Final[dict[str, tuple[str | None, int]]] = {
    "POST /search": ("search", 200),
    "POST /search/image": ("search", 200),
    "GET /products/{id}": ("search", 200),
    "POST /products": ("write", 202),
    "DELETE /products/{id}": ("write", 202),
    "GET /health": (None, 200),
}
SCOPES: Final[dict[str, frozenset[str]]] = {
    "anonymous": frozenset(),
    "bad key": frozenset(),
    "search key": KEYS["searcher"][1],
    "write key": KEYS["writer"][1],
    "admin key": KEYS["admin"][1],
    "all scopes": KEYS["all"][1],
}


def _routes(product: dict[str, Any]) -> dict[str, Call]:
    fresh = {**product, "id": f"{product['id']}-w", "version": product["version"] + 1}
    return {
        "POST /search": lambda c, h: c.post("/search", json={"text": "bag"}, headers=h),
        "POST /search/image": lambda c, h: c.post(
            "/search/image", files={"file": ("q.png", png(), "image/png")}, headers=h
        ),
        "GET /products/{id}": lambda c, h: c.get(f"/products/{product['id']}", headers=h),
        "POST /products": lambda c, h: c.post("/products", json=[fresh], headers=h),
        "DELETE /products/{id}": lambda c, h: c.delete("/products/sku-gone", headers=h),
        "GET /health": lambda c, h: c.get("/health", headers=h),
    }


def expected(route: str, credential: str) -> str:
    scope, allowed = POLICY[route]
    if credential == "bad key":
        return "401"
    if scope is None:
        return f"{allowed} " + ("details" if "admin" in SCOPES[credential] else "status")
    if scope in SCOPES[credential]:
        return str(allowed)
    return "401" if credential == "anonymous" else "403"


def observed(response: Any) -> str:
    if response.request.url.path != "/health" or response.status_code in {401, 403}:
        return str(response.status_code)
    return f"{response.status_code} " + ("details" if "redis" in response.json() else "status")


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    live = settings.model_copy(update={"search_timeout": 60.0, "api_keys": configured()})
    with TestClient(create_app(live)) as client:
        yield client


def test_the_matrix_on_the_real_stack_and_no_key_in_any_log(
    api: TestClient,
    worker: Any,
    test_images: Path,
    es: Elasticsearch,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    records = catalogue(test_images, 3, seed=5)
    assert api.post("/products", json=records, headers=auth_header("writer")).status_code == 202

    def indexed() -> bool:  # the index appears with the first batch; its shard a moment later
        found = es.options(ignore_status=[404, 503]).count(index=settings.index_alias)
        return found.meta.status == 200 and int(found["count"]) == len(records)

    wait_until(indexed, "3 products indexed")
    routes = _routes(records[0])
    cells = {
        (route, credential): observed(call(api, headers))
        for route, call in routes.items()
        for credential, headers in CREDENTIALS.items()
    }
    with capsys.disabled():
        head = "".join(f"{c:>13}" for c in CREDENTIALS)
        print("\nendpoint x credential -> status, real stack (anonymous search off)")
        print(f"{'':<24}{head}")
        for route in routes:
            print(f"{route:<24}" + "".join(f"{cells[route, c]:>13}" for c in CREDENTIALS))
    assert cells == {(r, c): expected(r, c) for r in routes for c in CREDENTIALS}

    # The writes that were let through did their work, with the key's id nowhere in the index.
    fresh = f"{records[0]['id']}-w"
    wait_until(lambda: es.exists(index=settings.index_alias, id=fresh).body, f"{fresh} indexed")
    logs = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    logs += worker.log.read_text(errors="replace")
    for key, _scopes in [*KEYS.values(), ("hyb_not-a-configured-key-0000000000", None)]:
        assert key not in logs
