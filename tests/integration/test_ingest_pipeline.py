"""A generated catalogue through the real worker into the real index: counts, documents, versions,
redeliveries and a bad image in the middle of a batch."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import catalogue
from support.http import png_bytes, png_handler, serving

from hybrid import es as es_ops
from hybrid.colour import family_of_label
from hybrid.embedding import get_embedder
from hybrid.indexing.queue import enqueue_ingest, make_celery
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import mapping_version, rejects_index
from hybrid.settings import Settings
from hybrid.vocab import COLOUR_FAMILIES

pytestmark = pytest.mark.worker
TASK_TIMEOUT = 120


def _run(settings: Settings, batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Enqueue the batches for the worker and wait for every summary."""
    app = make_celery(settings)
    try:
        ids = [enqueue_ingest(app, settings, batch) for batch in batches]
        return [app.AsyncResult(task_id).get(timeout=TASK_TIMEOUT) for task_id in ids]
    finally:
        app.close()


def _total(summaries: list[dict[str, Any]], key: str) -> list[Any]:
    return [item for summary in summaries for item in summary[key]]


def _rejects(es: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    es_ops.refresh(es, rejects_index(alias))
    if not es.indices.exists(index=rejects_index(alias)):
        return []
    hits = es.search(index=rejects_index(alias), size=100)["hits"]["hits"]
    return [hit["_source"] for hit in hits]


def test_a_catalogue_lands_with_every_field(
    settings: Settings, worker: object, es: Elasticsearch, test_images: Path
) -> None:
    records = catalogue(test_images, 60)
    summaries = _run(settings, [records[i : i + 20] for i in range(0, 60, 20)])
    assert sorted(_total(summaries, "indexed")) == sorted(r["id"] for r in records)
    assert _total(summaries, "rejected") == []
    es_ops.refresh(es, settings.index_alias)
    assert es_ops.count(es, settings.index_alias) == 60
    embedder = get_embedder(settings)
    for record in records[::7]:
        _check_document(es, settings.index_alias, record, embedder.dims, embedder.model_id)
    _check_index_meta(es, settings.index_alias, embedder.dims, embedder.model_id)
    assert _rejects(es, settings.index_alias) == []


def _check_document(
    es: Elasticsearch, alias: str, record: dict[str, Any], dims: int, model_id: str
) -> None:
    hit = es.get(index=alias, id=record["id"], source_exclude_vectors=False)
    doc = hit["_source"]
    assert hit["_version"] == record["version"]  # the external version is the record's
    expected = ProductRecord.model_validate(record)
    assert doc["title"] == expected.title
    assert doc["category_path"] == expected.category_path()
    assert doc["category_path"][-1] == record["category"]
    assert doc.get("colour_family") == family_of_label(record.get("colour"))
    assert doc["image_colour_family"] in COLOUR_FAMILIES
    assert doc["images"] == record["images"]
    assert (doc["model_id"], doc["mapping_version"]) == (model_id, mapping_version())
    for field in ("image_vector", "text_vector"):
        assert len(doc[field]) == dims
        assert math.isclose(math.fsum(x * x for x in doc[field]), 1.0, rel_tol=1e-4)


def _check_index_meta(es: Elasticsearch, alias: str, dims: int, model_id: str) -> None:
    index = es_ops.alias_target(es, alias)
    assert index is not None
    assert index.startswith(f"{alias}-v{mapping_version()}-")
    meta = es_ops.index_meta(es, index)
    assert meta["model_id"] == model_id
    assert (meta["dims"], meta["normalised"]) == (dims, True)
    assert meta["mapping_version"] == mapping_version()


def test_a_duplicate_delivery_leaves_one_document_per_product(
    settings: Settings, worker: object, es: Elasticsearch, test_images: Path
) -> None:
    batch = catalogue(test_images, 12)
    first, second = _run(settings, [batch, batch])
    assert len(first["indexed"]) == 12
    assert (second["indexed"], sorted(second["stale"])) == ([], sorted(r["id"] for r in batch))
    es_ops.refresh(es, settings.index_alias)
    assert es_ops.count(es, settings.index_alias) == 12
    assert _rejects(es, settings.index_alias) == []


def test_an_older_version_after_a_newer_one_leaves_the_newer(
    settings: Settings, worker: object, es: Elasticsearch, test_images: Path
) -> None:
    record = catalogue(test_images, 1)[0]
    by_version = [
        {**record, "version": 5, "title": "Newer title"},
        {**record, "version": 4, "title": "Older title"},
    ]
    no_version = {key: value for key, value in record.items() if key != "version"}
    by_time = [
        {**no_version, "id": "by-time", "updated_at": "2025-06-02T00:00:00Z", "title": "June 2"},
        {**no_version, "id": "by-time", "updated_at": "2025-06-01T00:00:00Z", "title": "June 1"},
    ]
    summaries = _run(settings, [[by_version[0], by_time[0]], [by_version[1], by_time[1]]])
    assert sorted(summaries[1]["stale"]) == ["by-time", record["id"]]
    newer = es.get(index=settings.index_alias, id=record["id"])
    assert (newer["_version"], newer["_source"]["title"]) == (5, "Newer title")
    timed = es.get(index=settings.index_alias, id="by-time")
    assert timed["_source"]["title"] == "June 2"
    assert timed["_source"]["updated_at"] == "2025-06-02T00:00:00+00:00"


def test_one_bad_image_is_dead_lettered_and_the_rest_indexed(
    settings: Settings, worker: object, es: Elasticsearch, test_images: Path
) -> None:
    records = catalogue(test_images, 10)
    bad = records[3]
    (test_images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    bad["images"] = [f"{test_images.name}/broken.png"]
    (summary,) = _run(settings, [records])
    assert sorted(summary["indexed"]) == sorted(r["id"] for r in records if r is not bad)
    assert [(r["id"], r["stage"]) for r in summary["rejected"]] == [(bad["id"], "image")]
    es_ops.refresh(es, settings.index_alias)
    assert es_ops.count(es, settings.index_alias) == 9
    assert not es.exists(index=settings.index_alias, id=bad["id"])
    (reject,) = _rejects(es, settings.index_alias)
    assert reject["product_id"] == bad["id"]
    assert (reject["stage"], reject["reason"]) == ("image", "unsupported_format")
    assert bad["id"] in reject["message"]
    assert reject["record"]["images"] == [{"path": f"{test_images.name}/broken.png"}]
    assert reject["attempts"] == 1
    assert reject["task_id"]


@pytest.fixture
def flaky_image_url() -> Iterator[str]:
    """A loopback URL answering 503 twice, then a PNG: a transient failure worth retrying."""
    with serving(png_handler(png_bytes(), failures=[503, 503])) as url:
        yield f"{url}/green.png"


def test_a_transient_image_failure_is_retried_and_the_batch_summary_carried(
    settings: Settings, worker: object, es: Elasticsearch, test_images: Path, flaky_image_url: str
) -> None:
    records = catalogue(test_images, 3)
    records[0]["images"] = [flaky_image_url]
    (summary,) = _run(settings, [records])
    # the first attempt indexed the other two; the retry the flaky one; one summary tells all
    assert sorted(summary["indexed"]) == sorted(r["id"] for r in records)
    assert (summary["rejected"], summary["retry"]) == ([], [])
    assert summary["retried"] == 2
    doc = es.get(index=settings.index_alias, id=records[0]["id"])["_source"]
    assert doc["image_colour_family"] == "green"
    assert _rejects(es, settings.index_alias) == []
