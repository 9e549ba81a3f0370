"""``hybrid worker``: this process becomes a Celery worker on the ingest queue."""

from __future__ import annotations

from typing import Annotated

import typer

from hybrid.settings import get_settings


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            "-c",
            "--concurrency",
            help="Worker processes, each with its own model and one torch thread "
            "[default: HYBRID_WORKER_CONCURRENCY, else one per core].",
        ),
    ] = None,
    loglevel: Annotated[str, typer.Option("-l", "--loglevel")] = "info",
) -> None:
    """Start a Celery worker on the ingest queue (one process per core, prefetch 1, late acks)."""
    from hybrid.stack.worker import exec_worker

    exec_worker(get_settings(), concurrency=concurrency, loglevel=loglevel)
