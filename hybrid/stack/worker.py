"""Celery worker processes: the one place their command line and environment are built.

``hybrid worker`` execs one (:func:`exec_worker`); the demo and the test harness start one
beside themselves and wait until it answers a ping (:func:`start_worker`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from hybrid.errors import StackError
from hybrid.settings import Settings


def cores() -> int:
    """The cores this process may run on: the default number of worker processes."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_argv(
    settings: Settings, *, name: str, concurrency: int | None = None, loglevel: str = "info"
) -> list[str]:
    """The ``celery worker`` command consuming ``settings.ingest_queue``: ``concurrency``
    prefork children, else ``settings.worker_concurrency``, else one per core."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.app",
        "worker",
        "-Q",
        settings.ingest_queue,
        "-c",
        str(concurrency or settings.worker_concurrency or cores()),
        "-n",
        name,
        "-l",
        loglevel,
        "--without-gossip",
        "--without-mingle",
    ]


def worker_env(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with ``settings`` (and ``extra``) on top, for the worker."""
    return {**os.environ, **settings.as_environment(), **(extra or {})}


def exec_worker(settings: Settings, *, concurrency: int | None, loglevel: str) -> None:
    """Replace this process with a Celery worker consuming the ingest queue."""
    argv = worker_argv(settings, name="hybrid@%h", concurrency=concurrency, loglevel=loglevel)
    os.execv(sys.executable, argv)  # noqa: S606 - a fixed argv of our own interpreter


def start_worker(
    settings: Settings,
    *,
    name: str,
    log: Path,
    concurrency: int | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> subprocess.Popen[bytes]:
    """Start a worker in the background and return once it answers a ping.

    Raises:
        StackError: the worker exited or did not answer within ``timeout`` (the log's tail
            is in the message).
    """
    from hybrid.indexing.queue import make_celery
    from hybrid.stack import procs

    argv = worker_argv(settings, name=name, concurrency=concurrency)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv, env=worker_env(settings, extra_env), stdout=out, stderr=subprocess.STDOUT
        )
    app = make_celery(settings)
    deadline = time.monotonic() + timeout
    while not app.control.ping(destination=[name], timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise StackError(f"worker {name} did not start; {log}:\n{procs.tail(log, 30)}")
    return process
