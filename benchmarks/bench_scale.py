"""Scale on one box: worker and bulk paths, disk/heap/RSS, force-merge, ANN recall and latency.

One command prints every table of issue 14 item 2 (and item 1's floor / kNN / served ratios):

1. **Worker path** (products/s through the real pipeline: validate, load and check each
   rendered image, encode image and text, dominant colour, bulk write), with the demo CLIP on
   ``--worker-products`` products and a random-init CLIP ViT-B/32 on ``--vit-products``
   (``bench_ingest.measure``, one round each).
2. **Bulk path per index type**: ``--products`` catalogue records (the generator's records,
   validated, built by ``hybrid.indexing.documents.build_document``) written by the project's
   bulk writer (``hybrid.es.bulk_write``, fed ``--bulk-slice`` documents per call) into the
   project's template with ``index_type`` set; then refresh and force-merge to ``--segments``.
   Vectors are ``bench_query``'s clustered synthetic 512-d unit vectors (category + colour +
   variant group + product noise): rendering and encoding 1M photos is days on 2 cores. The
   stored image vectors are kept in a ``.npy`` for the exact search.
3. **Memory per index type**: ``_stats`` store size, ``_disk_usage`` of the image vector
   field, Elasticsearch heap used (after the merge) and the node process's RSS.
4. **ANN recall@10 vs exact** per index type: ``--queries`` query vectors (stored vectors of
   random products plus seeded noise, renormalised), the raw kNN request (k 10, num_candidates
   100, ``_source`` false) against numpy brute force over the ``.npy``; its p50/p95. Then a
   sweep over ``--num-candidates`` (k 10; raw, and re-scored on quantized types) and the kNN
   leg as the service sends it (k = the fusion window 100, ``num_candidates_for``, the
   settings' ``rescore_oversample`` on quantized types), its top 10 against the exact top 10.
5. **Modes** on the first index type: floor / BM25 / kNN / served, ``model`` (every query
   encoded by the ViT-B/32 text tower) and ``cached`` passes, via ``bench_query.run_pass``.

Run niced on a shared box (Elasticsearch inherits the niceness)::

    HF_HUB_OFFLINE=1 nice -n 19 .venv/bin/python benchmarks/bench_scale.py \\
        --products 100000 --index-types int8_hnsw,bbq_hnsw,hnsw

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import bench_query as bq
import numpy as np
from bench_ingest import catalogue, measure
from common import elasticsearch, make_vit_b32, project_client, timed
from elasticsearch import Elasticsearch
from scale_figures import (
    AnnRequest,
    ann_requests,
    exact_top_k,
    markdown_table,
    mib,
    p50_p95,
    recall_at_k,
)

from hybrid import es as es_ops
from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.indexing.queue import batched
from hybrid.mapping import VectorSpec
from hybrid.query.builders import num_candidates_for
from hybrid.query.request import DEFAULT_WINDOW
from hybrid.schema import IMAGE_VECTOR
from hybrid.search.gateway import ElasticsearchGateway
from hybrid.search.service import SearchService
from hybrid.settings import Settings

MODES = ("floor", "bm25", "knn", "served_nofacets", "served")
K = 10
NUM_CANDIDATES = 100
RESCORE_OVERSAMPLE = 3.0  # quantized types: k x 3 candidates re-scored on the float vectors
QUERY_NOISE = 0.05  # per-dimension sigma before renormalising: near, not on, a stored product


@dataclass
class IndexFigures:
    """One index type's build, memory and ANN figures."""

    index_type: str
    docs: int
    bulk_s: float
    merge_s: float
    store_bytes: int
    vector_bytes: int
    heap_bytes: int
    rss_bytes: int
    recall: float
    p50: float
    p95: float
    rescored: tuple[float, float, float] | None  # recall, p50, p95 with rescore_vector
    sweep: list[tuple[AnnRequest, float, float, float]]  # request, recall@10, p50, p95


# --- bulk path ------------------------------------------------------------------------------


def load(
    client: Elasticsearch, alias: str, *, spec: VectorSpec, args: argparse.Namespace
) -> tuple[float, dict[str, int]]:
    """Documents into ``alias`` through the project's bulk writer: seconds, and each product's
    row in the ``.npy`` of stored image vectors written on the way."""
    es_ops.ensure_index(client, alias, spec)
    shape = (args.products, bq.DIMS)
    stored = np.lib.format.open_memmap(args.vectors, mode="w+", dtype=np.float32, shape=shape)
    row_of: dict[str, int] = {}
    docs = bq.documents(args.products, seed=args.seed, model_id=spec.model_id)

    def write() -> None:
        for part in batched(docs, args.bulk_slice):  # bulk_write lists its input: bound memory
            for doc_id, _, doc in part:
                row_of[doc_id] = len(row_of)
                stored[row_of[doc_id]] = doc[IMAGE_VECTOR]
            outcome = es_ops.bulk_write(client, alias, part)
            if outcome.failed or outcome.retryable:
                raise SystemExit(f"bulk load into {alias!r} failed: {outcome}")

    seconds = timed(write)
    stored.flush()
    return seconds, row_of


def merge(client: Elasticsearch, alias: str, segments: int) -> float:
    """Refresh, force-merge to ``segments``, refresh; seconds of the merge."""
    es_ops.refresh(client, alias)
    forcemerge = client.options(request_timeout=7200).indices.forcemerge
    seconds = timed(lambda: forcemerge(index=alias, max_num_segments=segments))
    es_ops.refresh(client, alias)
    return seconds


# --- memory ---------------------------------------------------------------------------------


def memory(client: Elasticsearch, alias: str) -> tuple[int, int, int, int]:
    """Store bytes, image-vector field bytes (``_disk_usage``), heap used, node RSS."""
    store = client.indices.stats(index=alias, metric="store").body["_all"]["primaries"]
    usage = client.options(request_timeout=3600).indices.disk_usage(
        index=alias, run_expensive_tasks=True
    )
    index = next(k for k in usage.body if not k.startswith("_"))
    field = usage.body[index]["fields"].get(IMAGE_VECTOR, {})
    node = next(iter(client.nodes.stats(metric="jvm").body["nodes"].values()))
    info = next(iter(client.nodes.info(metric="process").body["nodes"].values()))
    return (
        int(store["store"]["size_in_bytes"]),
        int(field.get("total_in_bytes", 0)),
        int(node["jvm"]["mem"]["heap_used_in_bytes"]),
        _rss(int(info["process"]["id"])),
    )


def _rss(pid: int) -> int:
    """Resident set size of a local process (0 when the node is elsewhere)."""
    status = Path(f"/proc/{pid}/status")
    lines = status.read_text().splitlines() if status.exists() else []
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("VmRSS:")), 0)


# --- ANN recall and latency -----------------------------------------------------------------


def query_vectors(stored: np.ndarray, n: int, *, seed: int) -> np.ndarray:
    """``n`` vectors near random stored products (seeded noise, unit length)."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(stored), size=n, replace=False))
    noise = rng.normal(0, QUERY_NOISE, (n, stored.shape[1])).astype(np.float32)
    noisy = np.asarray(stored[rows]) + noise
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def ann(
    client: Elasticsearch, alias: str, queries: np.ndarray, request: AnnRequest
) -> tuple[list[list[str]], list[float]]:
    """Ids of the top ``K`` of one kNN request shape per query, and each request's
    milliseconds; with ``request.oversample``, the quantized candidates are re-scored on the
    float vectors."""
    ids: list[list[str]] = []
    ms: list[float] = []
    for vector in queries:
        knn: dict[str, Any] = {
            "field": IMAGE_VECTOR,
            "query_vector": vector.tolist(),
            "k": request.k,
            "num_candidates": request.num_candidates,
        }
        if request.oversample:
            knn["rescore_vector"] = {"oversample": request.oversample}
        started = time.perf_counter()
        found = client.search(index=alias, knn=knn, size=K, source=False)
        ms.append((time.perf_counter() - started) * 1000)
        ids.append([hit["_id"] for hit in found["hits"]["hits"]])
    return ids, ms


def measure_index(
    client: Elasticsearch, index_type: str, *, args: argparse.Namespace, model_id: str
) -> tuple[IndexFigures, str]:
    """Build, merge, weigh and query one index type; the alias is left for the modes."""
    alias = f"bench-scale-{index_type.replace('_', '-')}"
    spec = VectorSpec(model_id=model_id, dims=bq.DIMS, index_type=index_type)
    bulk_s, row_of = load(client, alias, spec=spec, args=args)
    merge_s = merge(client, alias, args.segments)
    store, vector, heap, rss = memory(client, alias)
    stored = np.load(args.vectors, mmap_mode="r")
    queries = query_vectors(stored, args.queries, seed=args.seed)
    exact = exact_top_k(stored, queries, K)
    quantized = index_type != "hnsw"
    ann(client, alias, queries[:10], AnnRequest("warm-up", K, NUM_CANDIDATES))  # load the pages

    def measured(request: AnnRequest) -> tuple[float, float, float]:
        found, ms = ann(client, alias, queries, request)
        rows = [[row_of[i] for i in hits] for hits in found]
        return (recall_at_k(rows, exact, K), *p50_p95(ms))

    recall, p50, p95 = measured(AnnRequest("raw", K, NUM_CANDIDATES))
    rescore = AnnRequest("rescored", K, NUM_CANDIDATES, RESCORE_OVERSAMPLE)
    rescored = measured(rescore) if quantized else None
    requests = ann_requests(
        K, candidates=args.num_candidates, oversample=RESCORE_OVERSAMPLE if quantized else 0.0
    )
    docs = es_ops.count(client, alias)
    served = [served_request(quantized, docs), *served_sweep(quantized, args.served_candidates)]
    sweep = [(request, *measured(request)) for request in [*requests, *served]]
    figures = IndexFigures(
        index_type,
        docs,
        bulk_s,
        merge_s,
        store,
        vector,
        heap,
        rss,
        recall,
        p50,
        p95,
        rescored,
        sweep,
    )
    print(f"{index_type}: {figures}", flush=True)
    return figures, alias


def served_request(quantized: bool, docs: int) -> AnnRequest:
    """The kNN leg as the service sends it with default settings: k = the fusion window, and
    ``num_candidates`` grown with the index's ``docs`` (``knn_candidate_share``)."""
    settings = Settings()
    candidates = num_candidates_for(
        DEFAULT_WINDOW,
        cap=settings.max_num_candidates,
        docs=docs,
        share=settings.knn_candidate_share,
    )
    return AnnRequest(
        "as served", DEFAULT_WINDOW, candidates, settings.rescore_oversample if quantized else 0.0
    )


def served_sweep(quantized: bool, candidates: list[int]) -> list[AnnRequest]:
    """The served shape (k = the fusion window, the settings' oversample) at other
    ``num_candidates``: what a candidate count that grows with the index would buy."""
    oversample = Settings().rescore_oversample if quantized else 0.0
    return [
        AnnRequest("served shape", DEFAULT_WINDOW, max(DEFAULT_WINDOW, n), oversample)
        for n in candidates
    ]


# --- modes ----------------------------------------------------------------------------------


def modes(
    client: Elasticsearch, alias: str, *, url: str, model: str, args: argparse.Namespace
) -> list[bq.Pass]:
    """floor / BM25 / kNN / served on ``alias``, model-encoded and cached passes."""
    embedder = SentenceTransformerEmbedder(model, device="cpu")
    texts = bq.query_texts(args.mode_queries + 10, seed=args.seed)
    settings = Settings(
        es_url=url, model=model, index_alias=alias, vector_index_type=args.index_types[0]
    )
    service = SearchService(
        settings, gateway=ElasticsearchGateway(client, alias), embedder=embedder
    )
    passes = [
        bq.run_pass(
            name, {"": service}, texts[10:], texts[:10], cached=name == "cached", modes=MODES
        )
        for name in ("model", "cached")
    ]
    bq.report(args.products, {"load_s": 0, "merge_s": 0}, passes, bq.encode_ms(embedder, texts))
    return passes


# --- the report -----------------------------------------------------------------------------


def worker_table(figures: list[Any]) -> str:
    """Worker path products/s per model."""
    rows = [
        (f.model, f.products, f.end_to_end, f.rate(f.end_to_end), f.rate(f.bare_images))
        for f in figures
    ]
    headers = ("worker path: model", "products", "seconds", "products/s", "bare image encode/s")
    return markdown_table(headers, rows)


def index_table(figures: list[IndexFigures]) -> str:
    """Bulk path, merge, memory and ANN figures per index type."""
    rows = [
        (
            f.index_type,
            f.docs,
            f.docs / f.bulk_s,
            f.merge_s,
            mib(f.store_bytes),
            mib(f.vector_bytes),
            mib(f.heap_bytes),
            mib(f.rss_bytes),
            f"{f.recall:.3f}",
            f.p50,
            f.p95,
            *(("-", "-") if f.rescored is None else (f"{f.rescored[0]:.3f}", f.rescored[1])),
        )
        for f in figures
    ]
    headers = (
        "index type",
        "docs",
        "bulk products/s",
        "force-merge s",
        "store MiB",
        "image vector MiB",
        "heap used MiB",
        "ES RSS MiB",
        "recall@10",
        "kNN p50 ms",
        "kNN p95 ms",
        f"recall@10 rescored x{RESCORE_OVERSAMPLE:g}",
        "rescored p50 ms",
    )
    return markdown_table(headers, rows)


def sweep_table(figures: list[IndexFigures]) -> str:
    """Recall@10 and latency per kNN request shape (``num_candidates``, rescoring, as served)."""
    rows = [
        (
            f.index_type,
            request.label,
            request.k,
            request.num_candidates,
            request.oversample or "-",
            f"{recall:.3f}",
            p50,
            p95,
        )
        for f in figures
        for request, recall, p50, p95 in f.sweep
    ]
    headers = (
        "index type",
        "request",
        "k",
        "num_candidates",
        "rescore oversample",
        "recall@10",
        "p50 ms",
        "p95 ms",
    )
    return markdown_table(headers, rows)


def modes_table(passes: list[bq.Pass]) -> str:
    """p50/p95 per mode and pass, with the ratios of item 1 (served/kNN, kNN/floor)."""
    rows = []
    for mode in MODES:
        row: list[object] = [mode]
        for p in passes:
            row += [*p50_p95(p.ms[mode])]
        rows.append(row)
    for p in passes:
        floor, knn, served = (p50_p95(p.ms[m])[0] for m in ("floor", "knn", "served"))
        rows.append([f"{p.name}: served/kNN p50 {served / knn:.2f}, kNN/floor {knn / floor:.2f}"])
        rows[-1] += [""] * (1 + 2 * len(passes) - len(rows[-1]))
    headers = ["mode", *[f"{p.name} {q} ms" for p in passes for q in ("p50", "p95")]]
    return markdown_table(headers, rows)


# --- the command ----------------------------------------------------------------------------


def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--es-url", help="an existing cluster (default: start a local node)")
    parser.add_argument("--products", type=int, default=100_000, help="products per index")
    parser.add_argument("--index-types", default="int8_hnsw,bbq_hnsw,hnsw")
    parser.add_argument("--worker-products", type=int, default=300, help="demo model slice")
    parser.add_argument("--vit-products", type=int, default=32, help="ViT-B/32 slice")
    parser.add_argument("--queries", type=int, default=200, help="ANN recall queries")
    parser.add_argument("--mode-queries", type=int, default=100, help="timed queries per pass")
    parser.add_argument("--bulk-slice", type=int, default=5000, help="documents per bulk_write")
    parser.add_argument("--segments", type=int, default=1, help="force-merge to this many")
    parser.add_argument("--heap", default="2g", help="heap of the local Elasticsearch node")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument(
        "--num-candidates", default="100,200,500,1000", help="recall sweep, k 10 (comma list)"
    )
    parser.add_argument(
        "--served-candidates",
        default="",
        help="num_candidates for the served shape, k = the fusion window (comma list)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="directory for the .npy (default: temporary)")
    args = parser.parse_args()
    args.index_types = args.index_types.split(",")
    args.num_candidates = [int(n) for n in args.num_candidates.split(",")]
    args.served_candidates = [int(n) for n in args.served_candidates.split(",") if n]
    return args


def main() -> None:
    """Every measurement, then the markdown tables."""
    args = options()
    import torch

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="hybrid-bench-scale-"))
    args.vectors = (args.keep or work) / f"image-vectors-{args.products}.npy"
    try:
        model = str(make_vit_b32(work / "vit-b32"))
        with elasticsearch(args.es_url, heap=args.heap) as url:
            client = project_client(url, timeout=600)
            worker = worker_path(work, url=url, model=model, args=args)
            print(worker_table(worker), flush=True)
            indexes: list[IndexFigures] = []
            passes: list[bq.Pass] = []
            for index_type in args.index_types:
                figures, alias = measure_index(client, index_type, args=args, model_id="bench")
                indexes.append(figures)
                if not passes:
                    passes = modes(client, alias, url=url, model=model, args=args)
                bq.drop_index(client, alias)
        print(f"\n{args.products:,} products\n")
        tables = (worker_table(worker), index_table(indexes), sweep_table(indexes))
        print(*tables, modes_table(passes), sep="\n\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def worker_path(work: Path, *, url: str, model: str, args: argparse.Namespace) -> list[Any]:
    """The real pipeline's products/s: demo CLIP, then a random-init ViT-B/32 on a slice."""
    records = catalogue(work, max(args.worker_products, args.vit_products), seed=args.seed)
    run = partial(measure, root=work, es_url=url, batch=64, repeat=1)
    return [
        run("demo", "demo", records[: args.worker_products]),
        run("ViT-B/32", model, records[: args.vit_products]),
    ]


if __name__ == "__main__":
    main()
