"""Ingest throughput through real Celery workers and Redis: 1 vs 2 processes, threads, prefetch.

Each mode starts its own ``celery worker`` (the argv ``hybrid worker`` execs, plus the mode's
flags) on its own queue and alias, warms it (model loaded in every child, index created), then
enqueues the whole catalogue in batches of ``HYBRID_INGEST_BATCH_SIZE`` and times until the last
batch's result is back. Modes are interleaved round by round, so a neighbour's load falls on all
of them alike; the load average is printed beside every figure.

The ``repeat`` table times a second ingest of the same catalogue into an alias that already holds
it (every product current: stale), through a warm 1-process worker of this tree and, with
``--old-tree``, of an older checkout (``git worktree add --detach /tmp/h-old main``).

Run (starts a throwaway Elasticsearch and Redis)::

    .venv/bin/hybrid catalog generate --n 2000 --out /tmp/hcat
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_workers.py --catalog /tmp/hcat \\
        --rounds 3 --old-tree /tmp/h-old

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import elasticsearch
from elasticsearch import Elasticsearch

from hybrid.indexing.feed import read_feed
from hybrid.indexing.queue import batched, enqueue_ingest, make_celery
from hybrid.settings import Settings
from hybrid.stack import procs
from hybrid.stack import redis as redis_node
from hybrid.stack.worker import worker_argv, worker_env


@dataclass(frozen=True)
class Mode:
    """One worker layout: processes (prefork children), torch threads each, prefetch."""

    name: str
    processes: int = 1
    threads: int = 1
    prefetch: int = 1
    tree: Path | None = None  # another checkout's code (PYTHONPATH), None for this one


@dataclass
class Runs:
    """Products/s and load average of each run of one mode."""

    mode: Mode
    rates: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)


MODES = [
    Mode("1 process, 1 thread", 1, 1),
    Mode("2 processes, 1 thread", 2, 1),
    Mode("1 process, 2 threads", 1, 2),
    Mode("2 processes, 1 thread, prefetch 4", 2, 1, 4),
]


@contextmanager
def redis() -> Iterator[str]:
    """A throwaway Redis on a free port."""
    directory = Path(tempfile.mkdtemp(prefix="hybrid-bench-redis-"))
    node = redis_node.RedisNode(directory, procs.free_port(), False)
    redis_node.start(node)
    try:
        yield node.url
    finally:
        redis_node.stop(node)
        shutil.rmtree(node.instance_dir, ignore_errors=True)


@contextmanager
def worker(settings: Settings, mode: Mode, log: Path) -> Iterator[None]:
    """A warm worker of ``mode`` consuming ``settings.ingest_queue``."""
    name = f"bench-{uuid.uuid4().hex[:6]}@localhost"
    argv = worker_argv(settings, name=name, concurrency=mode.processes, loglevel="warning")
    argv += ["--prefetch-multiplier", str(mode.prefetch)]
    extra = {"HF_HUB_OFFLINE": "1", "HYBRID_TORCH_THREADS": str(mode.threads)}
    if mode.tree is not None:
        extra["PYTHONPATH"] = str(mode.tree)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv, env=worker_env(settings, extra), stdout=out, stderr=subprocess.STDOUT
        )
    app = make_celery(settings)
    try:
        deadline = time.monotonic() + 300
        while not app.control.ping(destination=[name], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{procs.tail(log, 30)}")
        yield
    finally:
        app.close()
        process.terminate()
        process.wait(timeout=120)


def run_batches(settings: Settings, records: Sequence[dict[str, Any]]) -> tuple[float, int]:
    """Enqueue ``records`` in batches; seconds until every result is back, and the stale count."""
    app = make_celery(settings)
    started = time.perf_counter()
    ids = [
        enqueue_ingest(app, settings, batch)
        for batch in batched(records, settings.ingest_batch_size)
    ]
    summaries = [app.AsyncResult(task_id).get(timeout=1800) for task_id in ids]
    elapsed = time.perf_counter() - started
    app.close()
    failed = sum(len(s["rejected"]) for s in summaries)
    if failed:
        raise RuntimeError(f"{failed} products rejected: {summaries[0]['rejected'][:2]}")
    return elapsed, sum(len(s["stale"]) for s in summaries)


def measure(
    base: Settings, mode: Mode, records: Sequence[dict[str, Any]], log: Path, *, repeat: bool
) -> tuple[float, int]:
    """One run of ``mode`` on a fresh alias (or, with ``repeat``, one already holding it)."""
    alias = f"bench-{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"index_alias": alias, "ingest_queue": f"q-{alias}"})
    es = Elasticsearch(base.effective_es_url)
    try:
        with worker(settings, mode, log):
            warm = [{**r, "id": f"warm-{r['id']}"} for r in records[: 8 * mode.processes]]
            run_batches(settings.model_copy(update={"ingest_batch_size": 8}), warm)
            if repeat:  # every product already current
                run_batches(settings, records)
            return run_batches(settings, records)
    finally:
        for index in es.indices.get(index=f"{alias}*", expand_wildcards="all"):
            es.indices.delete(index=index)
        es.close()


def table(title: str, runs: Sequence[Runs], products: int) -> None:
    """Print one markdown table, the first mode as the reference."""
    print(f"\n{title} ({products} products)\n")
    print("| mode | products/s (median) | runs | ratio | stale | load average |")
    print("|---|---|---|---|---|---|")
    reference = statistics.median(runs[0].rates)
    for item in runs:
        median = statistics.median(item.rates)
        rates = " / ".join(f"{rate:.0f}" for rate in item.rates)
        loads = " / ".join(f"{load:.1f}" for load in item.loads)
        print(
            f"| {item.mode.name} | {median:.0f} | {rates} | {median / reference:.2f}x | "
            f"{item.stale[-1]} | {loads} |"
        )


def rounds(
    base: Settings, modes: Sequence[Mode], records: Sequence[dict[str, Any]], args: Any, **kw: Any
) -> list[Runs]:
    """Every mode once per round, interleaved."""
    runs = [Runs(mode) for mode in modes]
    for round_ in range(args.rounds):
        for item in runs:
            seconds, stale = measure(base, item.mode, records, args.log, **kw)
            item.seconds.append(seconds)
            item.rates.append(len(records) / seconds)
            item.loads.append(os.getloadavg()[0])
            item.stale.append(stale)
            print(
                f"round {round_ + 1} {item.mode.name}: {seconds:.1f} s, "
                f"{len(records) / seconds:.0f} products/s, stale {stale}, "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True, help="hybrid catalog generate")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--old-tree", type=Path, help="an older checkout for the repeat table")
    parser.add_argument("--skip-modes", action="store_true", help="only the repeat table")
    parser.add_argument(
        "--log", type=Path, default=Path(tempfile.gettempdir()) / "bench-workers.log"
    )
    args = parser.parse_args()
    records = list(read_feed(args.catalog / "products.jsonl"))[: args.products]
    print(f"{len(records)} products, {os.cpu_count()} cores, load {os.getloadavg()}")
    with elasticsearch(None) as es_url, redis() as redis_url:
        base = Settings(es_url=es_url, redis_url=redis_url, model="demo", image_root=args.catalog)
        if not args.skip_modes:
            table("Throughput", rounds(base, MODES, records, args, repeat=False), len(records))
        repeats = [Mode("this tree, 1 process", 1, 1)]
        if args.old_tree:
            repeats.append(Mode("old tree, 1 process", 1, 1, tree=args.old_tree))
        runs = rounds(base, repeats, records, args, repeat=True)
        table("Second ingest of the same catalogue (every product current)", runs, len(records))


if __name__ == "__main__":
    main()
