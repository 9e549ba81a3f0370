"""Start-up, before and after, in one run: ``hybrid --help``, the model, the API, a worker.

Each row runs a fresh process of this tree and of an older checkout (``--old-tree``, its code put
first on ``PYTHONPATH``; ``git worktree add --detach /tmp/h-old main``), alternating round by
round so a neighbour's load falls on both alike; the load average is printed beside them.

* ``hybrid --help``: the process from start to exit.
* model: ``get_embedder`` on the demo model, one text and one image encoded (the serving and
  ingest path's first encode), from interpreter start; and which of scipy, scikit-learn and
  sympy it imported.
* API ready: ``hybrid serve`` with ``HYBRID_WARM_UP=true`` until ``GET /health`` answers 200
  (the model is loaded before the server accepts requests).
* worker ready: ``celery worker`` (what ``hybrid worker`` execs) until its first one-product
  batch is back: start, model, index check, write.

Run (starts a throwaway Elasticsearch and Redis)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_start.py --old-tree /tmp/h-old --rounds 3

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from bench_workers import Mode, redis, worker
from common import elasticsearch

from hybrid.indexing.queue import enqueue_ingest, make_celery
from hybrid.settings import Settings
from hybrid.stack import api as api_node
from hybrid.stack import procs

MODEL_CODE = """
import json, sys, time
from PIL import Image
from hybrid.embedding import get_embedder
from hybrid.settings import Settings
embedder = get_embedder(Settings(model="demo", device="cpu"))
embedder.encode_texts(["red sneakers"])
embedder.encode_images([Image.new("RGB", (80, 60), (200, 30, 40))])
print(json.dumps([m for m in ("scipy", "sklearn", "sympy") if m in sys.modules]))
"""


def environment(tree: Path | None) -> dict[str, str]:
    """This environment, offline, with ``tree``'s code first when given."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def help_seconds(tree: Path | None, _: Settings) -> float:
    """``hybrid --help`` from start to exit."""
    started = time.perf_counter()
    argv = [sys.executable, "-m", "hybrid.cli", "--help"]
    subprocess.run(argv, env=environment(tree), capture_output=True, check=True, timeout=300)
    return time.perf_counter() - started


HEAVY: dict[str, str] = {}


def model_seconds(tree: Path | None, _: Settings) -> float:
    """Interpreter start to one text and one image encoded with the demo model."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", MODEL_CODE],
        env=environment(tree),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    HEAVY[str(tree)] = ", ".join(json.loads(out.stdout.splitlines()[-1])) or "none"
    return time.perf_counter() - started


def api_seconds(tree: Path | None, settings: Settings) -> float:
    """``hybrid serve`` (model warmed before accepting) until ``/health`` answers 200."""
    node = api_node.ApiNode(Path(tempfile.mkdtemp(prefix="hybrid-bench-api-")), procs.free_port())
    extra = environment(tree) | {"HYBRID_WARM_UP": "true"}
    started = time.perf_counter()
    try:
        api_node.start(node, settings, extra_env=extra, timeout=600)
        while not _healthy(node):
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        api_node.stop(node)


def _healthy(node: api_node.ApiNode) -> bool:
    try:
        with urllib.request.urlopen(f"{node.url}health", timeout=5) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def worker_seconds(tree: Path | None, base: Settings) -> float:
    """A 1-process worker from exec until its first one-product batch is back."""
    alias = f"start-{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"index_alias": alias, "ingest_queue": f"q-{alias}"})
    app = make_celery(settings)
    record = {"id": "sku-1", "title": "Red trainers", "version": 1}
    task = enqueue_ingest(app, settings, [record])  # waiting in the queue before the worker
    started = time.perf_counter()
    with worker(settings, Mode("start", tree=tree), Path(tempfile.gettempdir()) / "start.log"):
        app.AsyncResult(task).get(timeout=600)
        seconds = time.perf_counter() - started
    app.close()
    return seconds


ROWS: list[tuple[str, Callable[[Path | None, Settings], float]]] = [
    ("hybrid --help", help_seconds),
    ("demo model: import, load, encode 1 text + 1 image", model_seconds),
    ("API ready (/health 200, model warmed)", api_seconds),
    ("worker ready (first batch back)", worker_seconds),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-tree", type=Path, required=True, help="an older checkout")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.old_tree.resolve(), "after": None}
    seconds: dict[tuple[str, str], list[float]] = {}
    loads: list[float] = []
    with elasticsearch(None) as es_url, redis() as redis_url:
        settings = Settings(es_url=es_url, redis_url=redis_url, model="demo")
        for round_ in range(args.rounds):
            for row, measure in ROWS:
                order = list(trees.items())
                for label, tree in order if round_ % 2 == 0 else reversed(order):
                    took = measure(tree, settings)
                    seconds.setdefault((row, label), []).append(took)
                    loads.append(os.getloadavg()[0])
                    print(f"round {round_ + 1} {row} {label}: {took:.1f} s", flush=True)
    print(f"\nload average during the runs: {min(loads):.1f}-{max(loads):.1f} on 2 cores\n")
    print("| | before (s, median; runs) | after (s, median; runs) |")
    print("|---|---|---|")
    for row, _ in ROWS:
        cells = []
        for label in trees:
            runs = seconds[(row, label)]
            cells.append(f"{statistics.median(runs):.1f} ({' / '.join(f'{r:.1f}' for r in runs)})")
        print(f"| {row} | {cells[0]} | {cells[1]} |")
    before, after = HEAVY.get(str(trees["before"]), "?"), HEAVY.get("None", "?")
    print(f"\nscipy/sklearn/sympy imported by the model path: before {before}; after {after}")


if __name__ == "__main__":
    main()
