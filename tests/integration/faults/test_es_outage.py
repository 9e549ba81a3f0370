"""Elasticsearch stopped for ``DOWN`` s with a 2-task queue: the retry budget outlasts it.

Bounds: ``DOWN`` (default 120 s, ``HYBRID_FAULT_ES_DOWN`` to change) with a retry budget of
``DOWN + 300`` s; after Elasticsearch is healthy again every product must land within
``LAND_BOUND`` s (the backoff is capped at 2 s here; production caps it at 120 s, so there a
product lands up to 2 minutes after the cluster is back).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import catalogue
from support.faults import (
    cluster_uuid,
    enqueue,
    fault_settings,
    fault_worker,
    holding_port,
    landing,
    same_cluster,
    seconds_since,
)
from support.wait import wait_until

from hybrid.indexing.queue import make_celery
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node

pytestmark = pytest.mark.worker
DOWN = float(os.environ.get("HYBRID_FAULT_ES_DOWN", "120"))
LAND_BOUND = 120


@pytest.mark.timeout(int(DOWN) + 900)  # warm-up, the outage, the restart and the landing
def test_an_elasticsearch_outage_longer_than_the_old_retries_loses_nothing(
    settings: Settings,
    es: Elasticsearch,
    es_node_handle: es_node.EsNode,
    base_settings: Settings,
    test_images: Path,
) -> None:
    records = catalogue(test_images, 30, seed=23)
    fault = fault_settings(settings, retry_budget=int(DOWN) + 300)
    app = make_celery(fault)
    with fault_worker(fault, test_images / "worker.log") as worker:
        warm = enqueue(fault, records[:10])  # model loaded, index made before the outage
        app.AsyncResult(warm[0]).get(timeout=240)
        ours = cluster_uuid(es)
        assert es_node.stop(es_node_handle)
        stopped = time.monotonic()
        with holding_port(es_node_handle.http_port):  # until our node has it again
            try:
                task_ids = enqueue(fault, records[10:])  # the 2-task queue
                assert len(task_ids) == 2
                wait_until(  # the outage is met, and lasts DOWN s
                    lambda: (
                        any(app.AsyncResult(t).state == "RETRY" for t in task_ids)
                        and time.monotonic() - stopped >= DOWN
                    ),
                    f"tasks retrying through a {DOWN:.0f} s outage",
                    timeout=DOWN + 120,
                    interval=1,
                    detail=worker.tail,
                )
            finally:  # the session's Elasticsearch, whatever happened
                es_node.start(es_node_handle, base_settings)
        same_cluster(es, ours)
        down_for = seconds_since(stopped)
        recovered = time.monotonic()
        summaries = [app.AsyncResult(t).get(timeout=LAND_BOUND) for t in task_ids]
        to_land = seconds_since(recovered)
    app.close()
    print(f"\nsummaries: {[(len(s['indexed']), len(s['stale']), s['retried']) for s in summaries]}")
    result = landing(es, fault.index_alias, records)
    retried = max(s["retried"] for s in summaries)
    print(
        f"\nElasticsearch down {down_for} s, 2-task queue: lost {len(result.lost)}, duplicated "
        f"{result.duplicated}, rejects {result.rejects}, landed {to_land} s after it was "
        f"healthy (bound {LAND_BOUND} s), retries {retried}"
    )
    assert retried > 5  # more than the 5 retries that used to give up after ~21 s
    assert (result.lost, result.duplicated, result.rejects) == ([], 0, 0)
