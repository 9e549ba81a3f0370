"""The last resorts: a spent retry budget and a message that keeps failing, then a replay.

One worker for the module, with a retry budget of ``BUDGET`` s and ``MAX_DELIVERIES``
deliveries a message. Bounds: each test ends within ``BOUND`` s of enqueueing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch, TransportError
from support.catalogue import catalogue
from support.faults import WorkerHandle, enqueue, fault_settings, fault_worker, landing
from support.wait import wait_until

from hybrid import es as es_ops
from hybrid.indexing.queue import make_celery
from hybrid.mapping import VectorSpec, rejects_index
from hybrid.settings import Settings

pytestmark = pytest.mark.worker
BUDGET = 8
MAX_DELIVERIES = 2
BOUND = 120
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def last_resort_worker(es_url: str, redis_url: str, image_root: Path) -> Iterator[WorkerHandle]:
    """A worker with a short retry budget and delivery limit, on a queue of its own."""
    base = Settings(
        es_url=es_url,
        redis_url=redis_url,
        model="demo",
        image_root=image_root,
        image_allow_private_networks=True,
        ingest_queue=f"q-last-{uuid.uuid4().hex[:8]}",
    )
    fault = fault_settings(base, retry_budget=BUDGET, max_deliveries=MAX_DELIVERIES)
    with fault_worker(fault, image_root / "last-resort-worker.log") as worker:
        yield worker


@contextmanager
def flood_stage_block(es: Elasticsearch, index: str) -> Iterator[None]:
    """Hold ``index.blocks.read_only_allow_delete`` on ``index`` until the block ends.

    Elasticsearch lifts that block by itself whenever its disk monitor runs (every
    ``cluster.info.update.interval``, 30 s) and finds the disk fine, which made this test a race.
    So the monitor is slowed for the duration, and a thread puts the block again every 0.2 s.
    """
    block = {"index.blocks.read_only_allow_delete": True}
    es.cluster.put_settings(persistent={"cluster.info.update.interval": "10m"})
    es.indices.put_settings(index=index, settings=block)
    done = threading.Event()

    def hold() -> None:
        while not done.wait(0.2):
            with suppress(ApiError, TransportError):  # the next turn puts it again
                es.indices.put_settings(index=index, settings=block)

    keeper = threading.Thread(target=hold, daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join(timeout=10)
        es.indices.put_settings(index=index, settings={"index.blocks.read_only_allow_delete": None})
        es.cluster.put_settings(persistent={"cluster.info.update.interval": None})


def _on(worker: WorkerHandle, settings: Settings) -> Settings:
    return worker.settings.model_copy(update={"index_alias": settings.index_alias})


def _rejects(es: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    es_ops.refresh(es, rejects_index(alias))
    hits = es.search(index=rejects_index(alias), size=100)["hits"]["hits"]
    return [hit["_source"] for hit in hits]


def _cli(settings: Settings, *args: str) -> dict[str, Any]:
    env = {**os.environ, **settings.as_environment(), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "hybrid.cli", "ingest", *args, "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_spent_retry_budget_lands_in_the_rejects_and_replays(
    settings: Settings, es: Elasticsearch, test_images: Path, last_resort_worker: WorkerHandle
) -> None:
    fault = _on(last_resort_worker, settings)
    records = catalogue(test_images, 20, seed=27)
    app = make_celery(fault)
    app.AsyncResult(enqueue(fault, records[:10])[0]).get(timeout=240)  # index made, model warm
    index = str(es_ops.alias_target(es, fault.index_alias))
    # The flood-stage block: Elasticsearch answers 429 to every write, for as long as it lasts.
    with flood_stage_block(es, index):
        summary = app.AsyncResult(enqueue(fault, records[10:])[0]).get(timeout=BOUND)
    app.close()
    rejects = _rejects(es, fault.index_alias)
    print(
        f"\nbudget {BUDGET} s spent: {len(summary['rejected'])} rejected, reasons "
        f"{sorted({r['reason'] for r in rejects})}, retried {summary['retried']}"
    )
    assert sorted(r["id"] for r in summary["rejected"]) == sorted(r["id"] for r in records[10:])
    assert {r["reason"] for r in rejects} == {"transient_exhausted"}
    assert all(r["record"]["id"] == r["product_id"] for r in rejects)  # kept for the replay

    feed = test_images / "feed.jsonl"
    feed.write_text("".join(json.dumps(record) + "\n" for record in records))
    before = _cli(fault, "reconcile", str(feed), "--dry-run")
    assert (before["indexed"], before["rejected"], before["missing"]) == (10, 10, 0)
    replayed = _cli(fault, "replay")
    assert (replayed["found"], replayed["sent"]) == (10, 10)
    wait_until(
        lambda: landing(es, fault.index_alias, records).landed == len(records),
        "the replayed products indexed",
        timeout=BOUND,
        detail=last_resort_worker.tail,
    )
    assert _rejects(es, fault.index_alias) == []  # replayed rejects are gone
    after = _cli(fault, "reconcile", str(feed), "--dry-run")
    assert (after["indexed"], after["rejected"], after["missing"]) == (20, 0, 0)


def test_a_message_that_keeps_crashing_is_dead_lettered_and_the_worker_lives_on(
    settings: Settings, es: Elasticsearch, test_images: Path, last_resort_worker: WorkerHandle
) -> None:
    fault = _on(last_resort_worker, settings)
    records = catalogue(test_images, 10, seed=29)
    # An index made for another model: every delivery of the batch raises in the task.
    es_ops.ensure_index(es, fault.index_alias, VectorSpec(model_id="other", dims=4))
    app = make_celery(fault)
    summary = app.AsyncResult(enqueue(fault, records)[0]).get(timeout=BOUND)
    rejects = _rejects(es, fault.index_alias)
    print(f"\npoison batch: {len(rejects)} rejects {sorted({r['reason'] for r in rejects})}")
    assert {r["reason"] for r in summary["rejected"]} == {"delivery_limit"}
    assert sorted(r["product_id"] for r in rejects) == sorted(r["id"] for r in records)
    assert f"delivered {MAX_DELIVERIES + 1} times" in rejects[0]["message"]
    assert last_resort_worker.process is not None
    assert last_resort_worker.process.poll() is None  # the worker is still up

    # ... and still working: a good batch for another alias lands.
    other = fault.model_copy(update={"index_alias": f"{fault.index_alias}-ok"})
    good = app.AsyncResult(enqueue(other, records[:3])[0]).get(timeout=BOUND)
    app.close()
    assert sorted(good["indexed"]) == sorted(r["id"] for r in records[:3])
