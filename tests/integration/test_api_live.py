"""The HTTP API against the real Elasticsearch, Redis, Celery worker and search executor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from support.apikeys import auth_header, configured
from support.catalogue import catalogue
from support.wait import wait_until

from hybrid.api import create_app
from hybrid.indexing.queue import make_celery
from hybrid.settings import Settings
from hybrid.stack import procs

pytestmark = pytest.mark.worker
WAIT_SECONDS = 120


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    # The first search loads the model: give it more than the default 10 s on a busy machine.
    # A key with every scope: who may call is test_api_auth_live.py's subject.
    live = settings.model_copy(update={"search_timeout": 60.0, "api_keys": configured()})
    with TestClient(create_app(live), headers=auth_header("all")) as client:
        yield client


def _ingest(
    api: TestClient, records: list[dict[str, Any]], worker: Any, es: Elasticsearch, alias: str
) -> dict[str, Any]:
    """POST the records, then wait until every valid one is *searchable* (not just stored)."""
    response = api.post("/products", json=records)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    valid = [r["id"] for r in records if "title" in r]

    def searchable() -> bool:  # the index appears with the first batch; its shard a moment later
        found = es.options(ignore_status=[404, 503]).count(
            index=alias, query={"ids": {"values": valid}}
        )
        return found.meta.status == 200 and int(found["count"]) == len(valid)

    wait_until(
        searchable,
        f"{len(valid)} products searchable",
        detail=lambda: procs.tail(worker.log, 40),
    )
    return body


def test_health_is_200_when_both_services_answer(api: TestClient) -> None:
    response = api.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["elasticsearch"]["detail"]["health"] in {"green", "yellow"}
    assert body["redis"]["detail"] == {"ping": True}


def test_products_are_enqueued_indexed_read_and_deleted(
    api: TestClient, worker: object, test_images: Path, es: Elasticsearch, settings: Settings
) -> None:
    records = catalogue(test_images, 6, seed=11)
    bad = {"id": "sku-bad", "price": -3}
    body = _ingest(api, [*records, bad], worker, es, settings.index_alias)
    assert body["accepted"] == 6 and len(body["task_ids"]) >= 1
    assert body["rejected"] == [
        {
            "index": 6,
            "id": "sku-bad",
            "errors": [
                "title: Field required",
                "price: Input should be greater than or equal to 0",
            ],
        },
    ]

    first = records[0]
    document = api.get(f"/products/{first['id']}").json()
    assert (document["id"], document["title"]) == (first["id"], first["title"])
    assert "image_vector" not in document and "text_vector" not in document
    assert api.get("/products/sku-bad").status_code == 404

    # A delete older than the stored version leaves the product; a current one removes it.
    stale = api.delete(f"/products/{first['id']}", params={"version": 0})
    assert stale.status_code == 202, stale.text
    response = api.delete(f"/products/{first['id']}")
    assert response.status_code == 202 and response.json()["version"] > first["version"]
    wait_until(
        lambda: api.get(f"/products/{first['id']}").status_code == 404,
        f"deleting {first['id']}",
    )
    second = records[1]
    stale_task = api.delete(f"/products/{second['id']}", params={"version": 0}).json()["task_id"]
    app = make_celery(settings)
    try:  # wait for the stale delete to have run, then check it left the product
        outcome = app.AsyncResult(stale_task).get(timeout=WAIT_SECONDS)
    finally:
        app.close()
    assert outcome == {"id": second["id"], "deleted": False}
    assert api.get(f"/products/{second['id']}").status_code == 200


def test_search_through_the_real_executor(
    api: TestClient,
    worker: object,
    test_images: Path,
    image_root: Path,
    es: Elasticsearch,
    settings: Settings,
) -> None:
    records = catalogue(test_images, 24, seed=11)
    _ingest(api, records, worker, es, settings.index_alias)
    target = records[3]

    response = api.post("/search", json={"text": target["title"], "size": 5, "explain": True})
    assert response.status_code == 200, response.text
    body = response.json()
    hits = body["hits"]["hits"]
    assert target["id"] in [hit["_id"] for hit in hits]
    assert all(set(hit) >= {"_index", "_id", "_score", "_source", "_explanation"} for hit in hits)
    assert body["fusion"]["method"] and body["understanding"]["mode"]

    # The label's family decides; the image's family only when the label has none.
    def family(source: dict[str, Any]) -> str | None:
        return source.get("colour_family", source.get("image_colour_family"))

    wanted = family(api.get(f"/products/{target['id']}").json())
    filtered = api.post("/search", json={"text": "bag", "filters": {"colour_family": [wanted]}})
    assert filtered.status_code == 200, filtered.text
    found = filtered.json()["hits"]["hits"]
    assert found and all(family(h["_source"]) == wanted for h in found)

    # The uploaded image is the product's own: on the image leg alone it comes first.
    image = (image_root / target["images"][0]).read_bytes()
    uploaded = api.post(
        "/search/image",
        files={"file": ("q.png", image, "image/png")},
        data={"request": '{"size": 3, "legs": ["image_knn"]}'},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["hits"]["hits"][0]["_id"] == target["id"]


def test_bad_input_to_the_real_executor_is_4xx(
    api: TestClient, worker: object, test_images: Path, es: Elasticsearch, settings: Settings
) -> None:
    _ingest(api, catalogue(test_images, 3, seed=11), worker, es, settings.index_alias)
    not_image = api.post("/search/image", files={"file": ("q.png", b"plain text", "image/png")})
    assert not_image.status_code == 422 and not_image.json()["reason"] == "unsupported_format"
    missing = api.post("/search", json={"product_id": "sku-nope"})
    assert missing.status_code == 404 and "sku-nope" in missing.json()["detail"]
    syntax = api.post("/search", json={"text": 'title:(bag OR "purse AND brand:*'})
    assert syntax.status_code == 200, syntax.text
