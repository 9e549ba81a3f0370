"""Redis (the broker and result store, with its append-only file) restarted mid-ingest.

Bounds: ``PRODUCTS`` products in batches of 10, Redis stopped (SIGTERM: it flushes its AOF) once
a third of them are indexed and started again; every product must land, and every task report
SUCCESS (never FAILURE for products that were indexed), within ``LAND_BOUND`` s after Redis
answers again.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import catalogue
from support.faults import (
    enqueue,
    fault_settings,
    fault_worker,
    holding_port,
    landing,
    seconds_since,
)
from support.wait import wait_until

from hybrid import es as es_ops
from hybrid.indexing.queue import make_celery
from hybrid.settings import Settings
from hybrid.stack import procs
from hybrid.stack import redis as redis_node

pytestmark = pytest.mark.worker
PRODUCTS = 100
LAND_BOUND = 240


@pytest.fixture
def aof_redis() -> Iterator[redis_node.RedisNode]:
    """A Redis of this test's own that keeps an append-only file, like production's."""
    path = Path(tempfile.mkdtemp(prefix="hybrid-test-aof-redis-"))
    path.chmod(0o755)
    node = redis_node.RedisNode(path, procs.free_port(), True)
    redis_node.start(node)
    yield node
    redis_node.stop(node)
    shutil.rmtree(path, ignore_errors=True)


def test_a_redis_restart_mid_ingest_loses_nothing_and_fails_no_task(
    settings: Settings, es: Elasticsearch, test_images: Path, aof_redis: redis_node.RedisNode
) -> None:
    records = catalogue(test_images, PRODUCTS, seed=25)
    fault = fault_settings(settings, redis_url=aof_redis.url)
    alias = fault.index_alias
    with fault_worker(fault, test_images / "worker.log") as worker:
        task_ids = enqueue(fault, records)
        wait_until(
            lambda: _indexed(es, alias) >= PRODUCTS // 3,
            f"{PRODUCTS // 3} products indexed",
            timeout=300,
            interval=1,
            detail=worker.tail,
        )
        assert redis_node.stop(aof_redis)
        with holding_port(aof_redis.port):  # nobody else takes it while Redis is down
            redis_node.start(aof_redis)
        recovered = time.monotonic()
        wait_until(
            lambda: landing(es, alias, records).landed == PRODUCTS,
            f"{PRODUCTS} products landed after the Redis restart",
            timeout=LAND_BOUND,
            interval=2,
            detail=worker.tail,
        )
        to_land = seconds_since(recovered)
        app = make_celery(fault)
        wait_until(
            lambda: all(app.AsyncResult(t).ready() for t in task_ids),
            "every task finished",
            timeout=LAND_BOUND,
            interval=2,
            detail=worker.tail,
        )
        states = Counter(app.AsyncResult(t).state for t in task_ids)
        app.close()
    result = landing(es, alias, records)
    print(
        f"\nRedis restarted mid-ingest ({PRODUCTS} products): lost {len(result.lost)}, "
        f"duplicated {result.duplicated}, rejects {result.rejects}, landed {to_land} s after "
        f"Redis answered (bound {LAND_BOUND} s), task states {dict(states)}"
    )
    assert (result.lost, result.duplicated, result.rejects) == ([], 0, 0)
    assert states == Counter({"SUCCESS": len(task_ids)})


def _indexed(es: Elasticsearch, alias: str) -> int:
    es_ops.refresh(es, alias)
    try:
        return es_ops.count(es, alias)
    except Exception:  # noqa: BLE001 - the alias does not exist before the first batch
        return 0
