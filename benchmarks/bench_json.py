"""JSON on the client: the stdlib ``json`` module against orjson, for a bulk body and a search.

The Elasticsearch client serialises every body it sends and parses every answer. Two shapes
matter here: a ``_bulk`` body (two 512-float vectors per product beside its text) and a served
search's ``_msearch`` (three query vectors out, a few hundred hits with their ``_source`` back).
Both serialisers run on the same objects, interleaved, ``--rounds`` times; the medians and their
ratio are printed. No Elasticsearch is needed: the search answer is a realistic one built from
the same generated products.

With ``--bulk-products N`` the bulk path is also timed end to end: two clients that differ only
in their JSON (the project's, orjson, and the client's default) each load the same ``N``
products into a fresh ``int8_hnsw`` index through the indexer's ``bulk_write``, alternating,
``--bulk-rounds`` times; products/s per side (Elasticsearch's indexing work included).

Run (the second starts a throwaway Elasticsearch unless --es-url is given)::

    .venv/bin/python benchmarks/bench_json.py --products 1000
    .venv/bin/python benchmarks/bench_json.py --products 1000 --bulk-products 20000

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from bench_query import DIMS, documents, drop_index
from common import elasticsearch, project_client, timed
from elasticsearch import Elasticsearch
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer, Serializer

from hybrid import es as es_ops
from hybrid.es.serializers import OrjsonNdjsonSerializer, OrjsonSerializer
from hybrid.mapping import VectorSpec
from hybrid.schema import VECTOR_FIELDS

#: What each side of the comparison uses for NDJSON and for JSON.
SIDES: dict[str, tuple[Serializer, Serializer]] = {
    "stdlib json": (NdjsonSerializer(), JsonSerializer()),
    "orjson": (OrjsonNdjsonSerializer(), OrjsonSerializer()),
}


def bulk_lines(products: list[tuple[str, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The ``_bulk`` body the indexer sends for ``products`` (action line, document)."""
    lines: list[dict[str, Any]] = []
    for product_id, version, doc in products:
        action = {"_index": "products", "_id": product_id, "version": version}
        lines += [{"index": {**action, "version_type": "external"}}, doc]
    return lines


def search_answer(products: list[tuple[str, int, dict[str, Any]]], legs: int) -> bytes:
    """An ``_msearch`` answer of ``legs`` responses of 100 hits with ``_source`` (no vectors)."""
    rng = np.random.default_rng(7)
    hits = [
        {
            "_index": "products-v3",
            "_id": product_id,
            "_score": float(rng.random()),
            "_source": {k: v for k, v in doc.items() if k not in VECTOR_FIELDS},
        }
        for product_id, _, doc in products[:100]
    ]
    response = {"took": 3, "hits": {"total": {"value": 100, "relation": "eq"}, "hits": hits}}
    return JsonSerializer().dumps({"took": 4, "responses": [response] * legs})


def search_lines(legs: int) -> list[dict[str, Any]]:
    """A served ``_msearch`` body: ``legs`` searches of one 512-float query vector each."""
    rng = np.random.default_rng(8)
    lines: list[dict[str, Any]] = []
    for _ in range(legs):
        vector = [round(float(x), 9) for x in rng.standard_normal(512)]
        knn = {"field": "image_vector", "query_vector": vector, "k": 100, "num_candidates": 200}
        lines += [{"index": "products"}, {"knn": knn, "size": 100}]
    return lines


def bulk_path(url: str, n: int, rounds: int) -> None:
    """Load ``n`` products with each client, alternating, ``rounds`` times; print products/s."""
    spec = VectorSpec(model_id="bench", dims=DIMS, index_type="int8_hnsw")
    products = list(documents(n, seed=7, model_id=spec.model_id))  # built once, outside timing
    seconds: dict[str, list[float]] = {"stdlib": [], "orjson": []}
    for round_ in range(rounds):
        for side in list(seconds) if round_ % 2 == 0 else list(seconds)[::-1]:
            client = project_client(url, timeout=600, json=side)
            seconds[side].append(load_once(client, f"bench-json-{side}", spec, products))
    print(f"\nbulk path, {n:,} products per load, {rounds} loads per side:")
    for side, times in seconds.items():
        best, median = n / min(times), n / statistics.median(times)
        print(f"  {side:<7} {best:>8.1f} products/s best, {median:>8.1f} median")


def load_once(
    client: Elasticsearch, alias: str, spec: VectorSpec, products: list[tuple[str, int, Any]]
) -> float:
    """Seconds to bulk-write ``products`` into a fresh index (dropped afterwards)."""
    es_ops.ensure_index(client, alias, spec)
    started = time.perf_counter()
    outcome = es_ops.bulk_write(client, alias, products)
    seconds = time.perf_counter() - started
    assert not outcome.failed and not outcome.retryable, outcome
    drop_index(client, alias)
    return seconds


def main() -> None:
    """Time both sides on each shape and print one table (and the bulk path, if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000, help="products in the bulk body")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--bulk-products", type=int, default=0, help="products per bulk load")
    parser.add_argument("--bulk-rounds", type=int, default=4)
    parser.add_argument("--es-url", help="an existing cluster (default: start a local node)")
    parser.add_argument("--heap", default="1g", help="heap of the local Elasticsearch node")
    args = parser.parse_args()
    products = list(documents(args.products, seed=7, model_id="bench"))
    bulk, request, answer = bulk_lines(products), search_lines(3), search_answer(products, 3)
    shapes: dict[str, Callable[[Serializer, Serializer], Any]] = {
        f"bulk body, {args.products:,} products (dumps)": lambda nd, _: nd.dumps(bulk),
        "served _msearch body, 3 vectors (dumps)": lambda nd, _: nd.dumps(request),
        f"served _msearch answer, 3 x 100 hits, {len(answer) / 1e3:.0f} kB (loads)": (
            lambda _, js: js.loads(answer)
        ),
    }
    print(f"{'shape':<58} | {'stdlib json ms':>14} | {'orjson ms':>9} | ratio")
    for name, action in shapes.items():
        ms: dict[str, list[float]] = {side: [] for side in SIDES}
        for _ in range(args.rounds):  # interleaved, so the box's noise hits both alike
            for side, (nd, js) in SIDES.items():
                ms[side].append(timed(partial(action, nd, js)) * 1000)
        slow, fast = (statistics.median(ms[side]) for side in SIDES)
        print(f"{name:<58} | {slow:>14.2f} | {fast:>9.2f} | {slow / fast:>5.1f}x")
    if args.bulk_products:
        with elasticsearch(args.es_url, heap=args.heap) as url:
            bulk_path(url, args.bulk_products, args.bulk_rounds)


if __name__ == "__main__":
    main()
