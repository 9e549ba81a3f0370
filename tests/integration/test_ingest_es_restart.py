"""Elasticsearch stops while the worker is ingesting and comes back: every product lands once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import catalogue
from support.wait import wait_until

from hybrid import es as es_ops
from hybrid.indexing.queue import enqueue_ingest, make_celery
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node

pytestmark = pytest.mark.worker
N = 60
BATCH = 6


def test_every_product_lands_exactly_once_across_an_elasticsearch_restart(
    settings: Settings,
    worker: object,
    es: Elasticsearch,
    es_node_handle: es_node.EsNode,
    base_settings: Settings,
    test_images: Path,
) -> None:
    records = catalogue(test_images, N, seed=11)
    batches = [records[i : i + BATCH] for i in range(0, N, BATCH)]
    batches.append(batches[0])  # a redelivery of the first batch, across the outage
    half = len(batches) // 2
    app = make_celery(settings)
    try:
        # The worker has loaded its model and made the index before the outage starts.
        app.AsyncResult(enqueue_ingest(app, settings, batches[0])).get(timeout=240)
        task_ids = [enqueue_ingest(app, settings, batch) for batch in batches[1:half]]
        try:
            assert es_node.stop(es_node_handle)  # while the worker is busy with those
            task_ids += [enqueue_ingest(app, settings, batch) for batch in batches[half:]]
            wait_until(  # the worker meets the dead cluster and schedules a retry
                lambda: any(app.AsyncResult(t).state == "RETRY" for t in task_ids),
                "a task retried during the outage",
            )
        finally:
            es_node.start(es_node_handle, base_settings)
        summaries = [app.AsyncResult(task_id).get(timeout=240) for task_id in task_ids]
    finally:
        app.close()
    assert max(summary["retried"] for summary in summaries) > 0  # the outage was really met
    indexed = _ids(summaries, "indexed")
    assert len(indexed) == len(set(indexed))  # no product was written twice
    delivered = [record["id"] for batch in batches[1:] for record in batch]
    assert Counter(indexed + _ids(summaries, "stale")) == Counter(delivered)
    assert set(indexed).isdisjoint(r["id"] for r in batches[0])  # the redelivery was stale
    assert _ids(summaries, "rejected") == []
    _assert_written_once(es, settings.index_alias, records)


def _ids(summaries: list[dict[str, Any]], key: str) -> list[Any]:
    return [item for summary in summaries for item in summary[key]]


def _assert_written_once(es: Elasticsearch, alias: str, records: list[dict[str, Any]]) -> None:
    es_ops.refresh(es, alias)
    assert es_ops.count(es, alias) == len(records)
    hits = es.search(
        index=alias, size=len(records), source=False, version=True, seq_no_primary_term=True
    )["hits"]["hits"]
    versions = {hit["_id"]: hit["_version"] for hit in hits}
    assert versions == {record["id"]: record["version"] for record in records}
    # One shard: every successful write takes the next sequence number, a refused duplicate none,
    # so N products written exactly once hold exactly the numbers 0..N-1.
    assert sorted(hit["_seq_no"] for hit in hits) == list(range(len(records)))
