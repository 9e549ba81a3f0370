"""The fault suite's shared pieces: fault workers, process trees, and the landing check.

Definitions used by every fault test:

- **lost**: a product of the feed that the index does not hold at its feed version once the
  bound has passed (and that no reject accounts for: the feeds here are clean, so any reject
  is a loss too);
- **duplicated**: a write beyond one per product. On one shard every successful write takes the
  next ``_seq_no`` and a refused one (409, a redelivery) none, so with no deletes the index
  holds ``0..N-1`` exactly when each of N products was written once; duplicated = highest
  ``_seq_no`` + 1 - N, plus documents that are not products of the feed, plus version
  regressions (a document older than its feed version that later became current is counted
  as lost, since the check asks for the feed version).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from hybrid import es as es_ops
from hybrid.indexing.queue import enqueue_ingest, make_celery
from hybrid.mapping import rejects_index
from hybrid.settings import Settings
from hybrid.stack.worker import start_worker


def fault_settings(settings: Settings, **update: Any) -> Settings:
    """This test's settings with short, machine-sized delivery bounds (overridable).

    A batch takes a few seconds; the time limit (90 s) leaves room for a busy 2-core machine
    (the first batch loads the model), and the visibility timeout (105 s) is sized to it, as in
    production (600 -> 900 s).
    """
    bounds: dict[str, Any] = {
        "task_time_limit": 90,
        "retry_backoff_max": 2,
        "visibility_timeout": 105,
        "retry_budget": 300,
        "max_deliveries": 50,
        "ingest_batch_size": 10,
        "worker_concurrency": 1,  # one child to kill and count
    }
    return settings.model_copy(update=bounds | update)


@contextmanager
def fault_worker(settings: Settings, log: Path) -> Iterator[WorkerHandle]:
    """A worker of its own for a test that kills or starves it; stopped (hard) afterwards."""
    handle = WorkerHandle(settings, log)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


class WorkerHandle:
    """One worker slot: start, kill -9 (main or child), start again, like a supervisor."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        """Start a fresh worker process and wait until it answers a ping."""
        self.starts += 1
        name = f"fault-{uuid.uuid4().hex[:6]}-{self.starts}@localhost"
        self.process = start_worker(
            self.settings, name=name, log=self.log, extra_env={"HF_HUB_OFFLINE": "1"}, timeout=240
        )

    def main_pid(self) -> int:
        """The worker's main process."""
        assert self.process is not None
        return self.process.pid

    def children(self) -> list[int]:
        """The pool's child processes."""
        path = Path(f"/proc/{self.main_pid()}/task/{self.main_pid()}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_main(self) -> None:
        """``kill -9`` the main process (and, as a host crash would, its children)."""
        pids = self.children()
        os.kill(self.main_pid(), signal.SIGKILL)
        for pid in pids:
            _kill(pid)
        assert self.process is not None
        self.process.wait(timeout=30)

    def kill_child(self) -> bool:
        """``kill -9`` the pool child; False if there was none to kill."""
        pids = self.children()
        for pid in pids:
            _kill(pid)
        return bool(pids)

    def stop(self) -> None:
        """Kill the worker and its children (the test is over: nothing to finish)."""
        if self.process is not None and self.process.poll() is None:
            self.kill_main()
        self.process = None

    def tail(self, lines: int = 40) -> str:
        """The end of the worker log, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def enqueue(settings: Settings, records: Sequence[dict[str, Any]]) -> list[str]:
    """Send ``records`` in batches of ``settings.ingest_batch_size``; the task ids."""
    app = make_celery(settings)
    size = settings.ingest_batch_size
    try:
        return [
            enqueue_ingest(app, settings, records[i : i + size])
            for i in range(0, len(records), size)
        ]
    finally:
        app.close()


@dataclass
class Landing:
    """What the index holds for a feed."""

    landed: int
    lost: list[str]
    duplicated: int
    rejects: int


def landing(es: Elasticsearch, alias: str, records: Sequence[dict[str, Any]]) -> Landing:
    """Compare the index (and the rejects) with the feed; see the module docstring."""
    es_ops.refresh(es, alias, rejects_index(alias))
    expected = {record["id"]: record["version"] for record in records}
    held = es_ops.stored_versions(es, alias, list(expected))
    if not es.indices.exists(index=alias):
        return Landing(0, sorted(expected), 0, 0)
    landed = [i for i, v in expected.items() if held.get(i) == v]
    total = es_ops.count(es, alias) if held else 0
    hits = es.search(index=alias, size=max(total, 1), source=False, seq_no_primary_term=True)[
        "hits"
    ]["hits"]
    writes = max((int(hit["_seq_no"]) for hit in hits), default=-1) + 1
    duplicated = max(0, writes - len(expected)) + max(0, total - len(held))
    rejects = es.count(index=rejects_index(alias), ignore_unavailable=True)["count"]
    lost = sorted(set(expected) - set(landed))
    return Landing(len(landed), lost, duplicated, int(rejects))


@contextmanager
def holding_port(port: int) -> Iterator[None]:
    """Keep ``port`` bound (not listening: connections are refused) while a service is down.

    Other test sessions on this machine pick free ports too; without this, one of them can take
    a stopped service's port, and the worker under test would talk to a stranger's server (seen
    here: a restarted node found its port taken). The socket has SO_REUSEADDR, so the service
    (Elasticsearch and Redis bind with it too) can take its port back while this is held; a
    port-0 pick by anyone else never lands on a bound port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        yield


def cluster_uuid(es: Elasticsearch) -> str:
    """The UUID of the cluster answering ``es``."""
    state = es.cluster.state(metric="metadata", filter_path="metadata.cluster_uuid")
    return str(state["metadata"]["cluster_uuid"])


def same_cluster(es: Elasticsearch, expected: str) -> None:
    """Fail plainly when the Elasticsearch that answers after a restart is not ours."""
    found = cluster_uuid(es)
    if found != expected:
        pytest.fail(
            f"after the restart another cluster ({found}, not {expected}) answers on our "
            "port: another process took it while Elasticsearch was down",
            pytrace=False,
        )


def seconds_since(start: float) -> float:
    """Seconds elapsed since ``start`` (``time.monotonic``)."""
    return round(time.monotonic() - start, 1)
