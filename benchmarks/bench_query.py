"""Query latency: p50 and p95 of every retrieval mode at 10k, 100k or 1M products, as ratios to kNN.

The query side is the product's own: :class:`hybrid.search.SearchService` (understanding, text
encoding, one ``_msearch`` of every leg, exact rescoring of the quantized kNN hits, fusion) on a
real Elasticsearch, with a randomly initialised CLIP ViT-B/32 as the query encoder: the real
model's architecture, so a query pays the real text-encode cost (weights do not change speed).

Each size gets a fresh index from the project's template (``int8_hnsw`` unless ``--index-type``),
filled with generated catalogue records (real titles, descriptions, facets for BM25 and filters)
and synthetic 512-d unit vectors written directly through bulk. Rendering and encoding 100k photos
with a ViT-B/32 would take hours on 2 cores, so the vectors are drawn instead, clustered the way
CLIP's are: a product's vector is near its category's, its colour family's and its variant
group's, so HNSW searches a structured space rather than uniform noise. The index is force-merged
to one segment (``--segments``), as after a full catalogue load.

With ``--text-model off,on`` every product also gets a synthetic 384-d ``text_model_vector``
(the same clustering), and a second service runs the ``text_model_knn`` leg with the real
all-MiniLM-L6-v2 as its query encoder (the packaged weights): the rows ``[tm-off]`` and
``[tm-on]`` time the same requests without and with the leg, side by side.

Two passes per size, over the same query texts (shop-like: colour, category noun, sometimes a
brand or material), with Elasticsearch's caches cleared before each pass:

* ``model``: every query is encoded by the ViT-B/32 text tower (the query-vector cache is off);
* ``cached``: the query vectors are in the encoder's LRU cache, as for a shop's repeated queries.

Requests interleave the modes query by query, in reversed order on every other query (the
first mode to run a text warms the caches for the rest), so noise from the shared machine hits
every mode alike. Each figure is the client-side wall time of ``SearchService.search`` (what the
API adds on top is JSON and HTTP). Ratios divide by kNN alone of the same pass and size; ``took``
is Elasticsearch's own time.

Where the time goes, with no profiler: ``knn_replay`` and ``served_replay`` send exactly the
round trips ``knn`` and ``served`` sent for the same text (captured once, untimed) through the
same client with no project code, and ``knn_raw`` sends the kNN body with ``_source: false``.
So ``served - served_replay`` is the project's own work (understanding, building, parsing,
fusion), ``served_replay - took`` is HTTP and JSON, and ``took`` is Elasticsearch's.

Run (starts a throwaway local Elasticsearch unless --es-url is given)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_query.py --sizes 10000,100000
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_query.py --sizes 10000 --text-model off,on

With ``--es-url`` and ``--keep-index`` an index is built once and reused by later runs (the 1M
index takes about 30 minutes to load and merge here).

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from common import elasticsearch, make_vit_b32, project_client, timed
from elasticsearch import Elasticsearch

from hybrid import es as es_ops
from hybrid.demo.catalog import iter_products
from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.evaluation.modes import parse_mode
from hybrid.indexing.documents import build_document
from hybrid.indexing.validation import validate_records
from hybrid.mapping import VectorSpec
from hybrid.query.request import SearchRequest
from hybrid.schema import IMAGE_VECTOR, VECTOR_FIELDS
from hybrid.search.gateway import ElasticsearchGateway
from hybrid.search.service import SearchService
from hybrid.settings import MINILM_MODEL, Settings
from hybrid.vocab import BRANDS, CATEGORIES, COLOUR_FAMILIES, COLOUR_SYNONYMS, COLOURS, MATERIALS

DIMS = 512  # ViT-B/32's projection
TEXT_MODEL_DIMS = 384  # all-MiniLM-L6-v2
PAGE = 10
#: Modes timed, by evaluation mode name; "served" is what POST /search does with just a text.
MODES = (
    "floor",
    "knn_raw",
    "knn_replay",
    "bm25",
    "knn",
    "hybrid_rrf",
    "hybrid_linear_minmax",
    "hybrid_linear_l2",
    "hybrid_linear_zscore",
    "hybrid_single",
    "hybrid_linear_minmax+qu",
    "served_boost",
    "served_nofacets",
    "served",
    "served_replay",
)
#: Modes that send, with no project code, what a project mode sent for the same text.
REPLAYS = {"knn_raw": "knn", "knn_replay": "knn", "served_replay": "served"}
SERVED_NOTE = (
    "served = the default request (linear z-score, understanding filter with visible "
    "relaxation, facets); served_boost = the same with understanding boost (the default before "
    "issue 13); served_nofacets = served without the facet aggregation body; floor = the "
    "fastest kNN request Elasticsearch answers: the same text vector, k 10, num_candidates 100, "
    "_source false, sent raw through the client's transport; knn_raw = the project's kNN "
    "body for the text sent raw with _source false; knn_replay and served_replay = the "
    "requests knn and served sent for the text, replayed through the client with no project "
    "code (what remains of served - served_replay is the project's own work); took = "
    "Elasticsearch's own time for the request (the slowest body of an _msearch)"
)


# --- the index ------------------------------------------------------------------------------


class VectorSpace:
    """Clustered synthetic unit vectors, one space for images and one for texts.

    A vector is the weighted sum of unit directions for the category, the colour family and the
    variant group, plus per-product noise, normalised: products of one category and colour are
    close, variants of one model closer, as with CLIP.
    """

    def __init__(self, seed: int, *, dims: int = DIMS) -> None:
        rng = np.random.default_rng(seed)
        self.category = {c.path: _unit(rng, dims) for c in CATEGORIES}
        self.family = {f: _unit(rng, dims) for f in COLOUR_FAMILIES}
        self.seed = seed
        self.dims = dims

    def vector(self, category: str, family: str, group: str, product: str) -> np.ndarray:
        """The vector of one product (deterministic for its ids)."""
        group_rng = np.random.default_rng([self.seed, zlib.crc32(group.encode())])
        noise_rng = np.random.default_rng([self.seed, zlib.crc32(product.encode())])
        mixed = (
            1.0 * self.category[category]
            + 0.8 * self.family[family]
            + 0.5 * _unit(group_rng, self.dims)
            + 0.35 * _unit(noise_rng, self.dims)
        )
        return np.round(mixed / np.linalg.norm(mixed), 6)  # 6 digits: smaller bulk JSON


def _unit(rng: np.random.Generator, dims: int) -> np.ndarray:
    vector = rng.standard_normal(dims)
    return vector / np.linalg.norm(vector)


def documents(
    n: int, *, seed: int, model_id: str, text_model: bool = False
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``n`` generated products as bulk triples, with synthetic image and text vectors (and
    text model vectors when ``text_model``)."""
    images, texts = VectorSpace(seed), VectorSpace(seed + 1)
    model_texts = VectorSpace(seed + 2, dims=TEXT_MODEL_DIMS) if text_model else None
    now = datetime.now(UTC)
    for raw, truth in iter_products(n, seed):
        (record,), _ = validate_records([raw])
        keys = (truth.category, truth.colour_family, truth.group_id, truth.id)
        doc = build_document(
            record,
            images.vector(*keys),
            texts.vector(*keys),
            model_id=model_id,
            now=now,
            image_colour=(truth.colour_family, truth.rgb),
            text_model_vector=None if model_texts is None else model_texts.vector(*keys),
        )
        yield record.id, 1, doc


def build_index(
    client: Elasticsearch, alias: str, n: int, *, spec: VectorSpec, seed: int, segments: int
) -> dict[str, float]:
    """A fresh aliased index of ``n`` products; returns the load and merge times."""
    es_ops.ensure_index(client, alias, spec)
    outcome: list[Any] = []
    load = timed(
        lambda: outcome.append(
            es_ops.bulk_write(
                client,
                alias,
                documents(
                    n, seed=seed, model_id=spec.model_id, text_model=spec.text_dims is not None
                ),
            )
        )
    )
    if outcome[0].failed or outcome[0].retryable:
        raise SystemExit(f"bulk load into {alias!r} failed: {outcome[0]}")
    es_ops.refresh(client, alias)
    merge = timed(
        lambda: client.options(request_timeout=3600).indices.forcemerge(
            index=alias, max_num_segments=segments
        )
    )
    es_ops.refresh(client, alias)
    return {"load_s": load, "merge_s": merge, "docs": es_ops.count(client, alias)}


def reused_index(client: Elasticsearch, alias: str, n: int) -> dict[str, float] | None:
    """The times of an index ``alias`` already holding ``n`` products (NaN: not built by this
    run), or None when it has to be built."""
    if not es_ops.alias_target(client, alias):
        return None
    docs = es_ops.count(client, alias)
    if docs != n:
        drop_index(client, alias)
        return None
    print(f"reusing {alias!r}: {docs:,} products")
    return {"load_s": float("nan"), "merge_s": float("nan"), "docs": docs}


def drop_index(client: Elasticsearch, alias: str) -> None:
    """Delete the physical index behind ``alias`` and the templates."""
    index = es_ops.alias_target(client, alias)
    if index:
        client.indices.delete(index=index)
    client.indices.delete_index_template(name=alias)
    client.indices.delete_index_template(name=f"{alias}-rejects")


# --- the queries ----------------------------------------------------------------------------


def query_texts(n: int, *, seed: int) -> list[str]:
    """``n`` distinct shop-like queries: a colour word and a category noun, sometimes more."""
    rng = np.random.default_rng(seed)
    colours = sorted({*COLOURS, *COLOUR_SYNONYMS, *COLOUR_FAMILIES})
    nouns = sorted({noun for category in CATEGORIES for noun in category.nouns})
    texts: list[str] = []
    while len(texts) < n:
        words = [str(rng.choice(colours)), str(rng.choice(nouns))]
        extra = rng.random()
        if extra < 0.25:
            words.insert(0, str(rng.choice(BRANDS)))
        elif extra < 0.4:
            words.insert(1, str(rng.choice(MATERIALS)))
        text = " ".join(words)
        if text not in texts:
            texts.append(text)
    return texts


def request(mode: str, text: str, settings: Settings) -> SearchRequest:
    """The request of ``mode`` for ``text``: one page of ``PAGE`` hits."""
    if mode == "served":
        return SearchRequest.model_validate({"text": text, "size": PAGE})
    if mode == "served_nofacets":
        return SearchRequest.model_validate({"text": text, "size": PAGE, "facets": False})
    if mode == "served_boost":
        return SearchRequest.model_validate({"text": text, "size": PAGE, "understanding": "boost"})
    data = parse_mode(mode).request_data(_Query(text), size=PAGE)
    return SearchRequest.model_validate(data, context={"settings": settings})


@dataclass(frozen=True)
class _Query:
    """The two attributes :meth:`Mode.request_data` reads from a judged query."""

    text: str
    image: str | None = None


# --- timing ---------------------------------------------------------------------------------


#: One round trip the service made: ("msearch", its bodies) or ("sources", its ids).
Call = tuple[str, list[Any]]


class TracingGateway(ElasticsearchGateway):
    """The production gateway, also keeping the round trips of the last search and
    Elasticsearch's ``took`` for them (so replays send exactly what the service sent)."""

    def __init__(self, client: Elasticsearch, alias: str) -> None:
        super().__init__(client, alias)
        self.calls: list[Call] = []
        self.took = 0

    def reset(self) -> None:
        """Forget the last search."""
        self.calls, self.took = [], 0

    def msearch(self, bodies: Sequence[dict[str, Any]], *, timeout: float) -> list[dict[str, Any]]:
        """See :func:`hybrid.es.msearch`; the bodies run side by side, so the slowest counts."""
        responses = super().msearch(bodies, timeout=timeout)
        self.calls.append(("msearch", list(bodies)))
        self.took += max((int(r.get("took", 0)) for r in responses), default=0)
        return responses

    def sources(self, ids: Sequence[str], *, timeout: float) -> dict[str, dict[str, Any]]:
        """See :func:`hybrid.es.sources`."""
        found = super().sources(ids, timeout=timeout)
        self.calls.append(("sources", list(ids)))
        return found


@dataclass
class Pass:
    """Latencies (ms) and Elasticsearch's ``took`` (ms) per mode for one pass."""

    name: str
    ms: dict[str, list[float]] = field(default_factory=dict)
    took: dict[str, list[int]] = field(default_factory=dict)

    def percentile(self, mode: str, q: float) -> float:
        """The ``q``-th percentile (0-100) of ``mode``'s latencies."""
        return float(np.percentile(self.ms[mode], q))


def row_name(mode: str, label: str) -> str:
    """A table row: the mode, and the ``source_fetch`` setting when several are compared."""
    return f"{mode} [{label}]" if label else mode


def run_pass(
    name: str,
    services: dict[str, SearchService],
    texts: list[str],
    warmup: list[str],
    *,
    cached: bool,
    modes: Sequence[str] = MODES,
) -> Pass:
    """Time every mode of every service on every text, interleaved query by query, in a new
    shuffled order for each text (whichever runs first on a text warms the caches)."""
    runs = [
        (row_name(mode, label), service, mode)
        for mode in modes
        for i, (label, service) in enumerate(services.items())
        if mode != "floor" or i == 0  # the floor runs no project code: once is enough
    ]
    sources = {REPLAYS[mode] for mode in modes if mode in REPLAYS}
    sent = {
        (id(service), source, text): capture(service, source, text)
        for service in services.values()
        for source in sources
        for text in [*warmup, *texts]
    }
    for service in services.values():
        encoder = service.encoder
        encoder.clear_cache()  # the capture above encoded every text
        encoder.cache_size = 2048 if cached else 0  # 0: every text is encoded again
        for text in [*warmup, *texts] if cached else []:
            encoder.text(text)
            encoder.text_model_vector(text)
        gateway = service.gateway
        assert isinstance(gateway, ElasticsearchGateway)
        gateway.client.indices.clear_cache(index=gateway.alias)
    for text in warmup:  # first calls allocate buffers and load Lucene structures
        for _, service, mode in runs:
            run_mode(service, mode, text, replayed(sent, service, mode, text))
    result = Pass(name, {row: [] for row, _, _ in runs}, {row: [] for row, _, _ in runs})
    order = np.random.default_rng(len(texts))
    for text in texts:
        for j in order.permutation(len(runs)):
            row, service, mode = runs[j]
            calls = replayed(sent, service, mode, text)
            started = time.perf_counter()
            took = run_mode(service, mode, text, calls)
            result.ms[row].append((time.perf_counter() - started) * 1000)
            result.took[row].append(took)
    return result


def replayed(
    sent: dict[tuple[int, str, str], list[Call]], service: SearchService, mode: str, text: str
) -> list[Call]:
    """What a replay ``mode`` sends for ``text`` (nothing for the other modes)."""
    return sent.get((id(service), REPLAYS.get(mode, ""), text), [])


def capture(service: SearchService, mode: str, text: str) -> list[Call]:
    """The round trips ``mode`` makes for ``text`` (run once, untimed)."""
    gateway = service.gateway
    assert isinstance(gateway, TracingGateway)
    gateway.reset()
    service.search(request(mode, text, service.settings))
    return gateway.calls


def run_mode(service: SearchService, mode: str, text: str, calls: list[Call]) -> int:
    """One query of ``mode``; Elasticsearch's ``took`` (ms). ``floor`` is the raw kNN
    request, no project code but the encoder; the replays send ``calls`` with none at all."""
    gateway = service.gateway
    assert isinstance(gateway, TracingGateway)
    if mode == "floor":
        vector = service.encoder.text(text).tolist()
        knn = {"field": IMAGE_VECTOR, "query_vector": vector, "k": PAGE, "num_candidates": 100}
        return raw_search(gateway, {"knn": knn, "size": PAGE, "_source": False})
    if mode == "knn_raw":
        body = next(items[0] for kind, items in calls if kind == "msearch")  # the one kNN body
        return raw_search(gateway, {**body, "_source": False})
    if mode in REPLAYS:
        return replay(gateway, calls)
    gateway.reset()
    service.search(request(mode, text, service.settings))
    return gateway.took


def raw_search(gateway: TracingGateway, body: dict[str, Any]) -> int:
    """``body`` sent to ``_search`` through the client's transport; its ``took``."""
    response = gateway.client.perform_request(
        "POST",
        f"/{gateway.alias}/_search",
        headers={"accept": "application/json", "content-type": "application/json"},
        body=body,
    )
    return int(response.body["took"])


def replay(gateway: TracingGateway, calls: list[Call]) -> int:
    """Send ``calls`` again as the client sends them, with no project code; the summed took."""
    took = 0
    for kind, items in calls:
        if kind == "sources":
            gateway.client.mget(index=gateway.alias, ids=items, source_excludes=list(VECTOR_FIELDS))
            continue
        searches: list[dict[str, Any]] = []
        for body in items:
            searches += [{"index": gateway.alias}, body]
        response = gateway.client.msearch(searches=searches)
        took += max(int(r.get("took", 0)) for r in response["responses"])
    return took


def encode_ms(embedder: SentenceTransformerEmbedder, texts: list[str]) -> float:
    """Median milliseconds of encoding one query text on its own."""
    return statistics.median(timed(lambda t=t: embedder.encode_texts([t])) * 1000 for t in texts)


# --- the report -----------------------------------------------------------------------------


def report(size: int, build: dict[str, float], passes: list[Pass], encode: float) -> None:
    """One table per size: p50, p95 and their ratios to kNN alone, per pass."""
    print(
        f"\n{size:,} products: bulk load {build['load_s']:.0f} s, force-merge "
        f"{build['merge_s']:.0f} s; bare ViT-B/32 text encode p50 {encode:.1f} ms"
    )
    head = f"{'mode':<32}" + "".join(
        f" | {p.name + ' p50':>11} {'p95':>7} {'p50/knn':>7} {'p95/knn':>7} {'took':>5}"
        for p in passes
    )
    print(head)
    print("-" * len(head))
    for name in passes[0].ms:
        knn = knn_row(name, list(passes[0].ms))
        row = f"{name:<32}"
        for p in passes:
            p50, p95 = p.percentile(name, 50), p.percentile(name, 95)
            k50, k95 = p.percentile(knn, 50), p.percentile(knn, 95)
            took = statistics.median(p.took[name])
            row += f" | {p50:>8.1f} ms {p95:>7.1f} {p50 / k50:>7.2f} {p95 / k95:>7.2f} {took:>5.1f}"
        print(row)


def knn_row(name: str, rows: list[str]) -> str:
    """The row a row's ratios divide by: kNN alone with the same ``source_fetch`` (the floor
    row, which has none, divides by the first kNN row)."""
    suffix = name.partition(" ")[2]
    knn = f"knn {suffix}" if suffix else "knn"
    return knn if knn in rows else next(row for row in rows if row.startswith("knn"))


def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--es-url", help="an existing cluster (default: start a local node)")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated product counts")
    parser.add_argument("--queries", type=int, default=100, help="timed queries per pass")
    parser.add_argument("--warmup", type=int, default=10, help="untimed queries per pass")
    parser.add_argument("--index-type", default="int8_hnsw", help="dense_vector index type")
    parser.add_argument("--segments", type=int, default=1, help="force-merge to this many")
    parser.add_argument("--heap", default="1g", help="heap of the local Elasticsearch node")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--source-fetch",
        default=Settings.model_fields["source_fetch"].default,
        help="Settings.source_fetch values to compare side by side: legs, page or legs,page "
        "(default: the service's, so 'served' is the served request)",
    )
    parser.add_argument(
        "--passes", default="model,cached", help="model (encode every query), cached, or both"
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated modes to time (default: all)"
    )
    parser.add_argument(
        "--text-model",
        default="off",
        help="the text_model_knn leg: off, on (real all-MiniLM-L6-v2 query encoder) or off,on",
    )
    parser.add_argument(
        "--json",
        default="orjson",
        help="the client's JSON: orjson (the project's client), stdlib (the client's default "
        "json module) or stdlib,orjson side by side",
    )
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="keep each size's index after the run, and reuse one that already holds that many "
        "products (with --es-url: build once, time many); only the count is checked, so reuse "
        "an index built with the same --index-type, --seed, --segments and --text-model",
    )
    parser.add_argument(
        "--candidate-share",
        default=str(Settings.model_fields["knn_candidate_share"].default),
        help="Settings.knn_candidate_share values to compare side by side, e.g. 0,0.001",
    )
    return parser.parse_args()


def main() -> None:
    """Build each size's index, run both passes, print the tables."""
    args = options()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="hybrid-bench-q-"))
    try:
        model = str(make_vit_b32(work / "vit-b32"))
        embedder = SentenceTransformerEmbedder(model, device="cpu")
        texts = query_texts(args.queries + args.warmup, seed=args.seed)
        warmup, timed_texts = texts[: args.warmup], texts[args.warmup :]
        with elasticsearch(args.es_url, heap=args.heap) as url:
            client = project_client(url)
            for size in (int(s) for s in args.sizes.split(",")):
                run_size(
                    client,
                    size,
                    url=url,
                    model=model,
                    embedder=embedder,
                    warmup=warmup,
                    texts=timed_texts,
                    args=args,
                )
        print(SERVED_NOTE)
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: How a compared setting shows in a row label, by the option it comes from.
LABELS = {"fetch": "{}", "leg": "tm-{}", "share": "share-{}", "json": "{}"}


def _label(picked: dict[str, str], choices: dict[str, list[str]]) -> str:
    """A service's row label: the settings compared side by side (none when nothing is)."""
    return " ".join(
        LABELS[name].format(value) for name, value in picked.items() if len(choices[name]) > 1
    )


def run_size(
    client: Elasticsearch,
    size: int,
    *,
    url: str,
    model: str,
    embedder: SentenceTransformerEmbedder,
    warmup: list[str],
    texts: list[str],
    args: argparse.Namespace,
) -> None:
    """One size: build, time both passes, report, drop."""
    alias = f"bench-query-{size}"
    choices = {
        "fetch": args.source_fetch.split(","),
        "leg": args.text_model.split(","),
        "share": args.candidate_share.split(","),
        "json": args.json.split(","),
    }
    legs, jsons = choices["leg"], choices["json"]
    clients = {
        json: client if json == "orjson" else project_client(url, json=json) for json in jsons
    }
    text_embedder = SentenceTransformerEmbedder(MINILM_MODEL, device="cpu")
    spec = VectorSpec(
        model_id=embedder.model_id,
        dims=DIMS,
        index_type=args.index_type,
        text_model_id=text_embedder.model_id if "on" in legs else None,
        text_dims=TEXT_MODEL_DIMS if "on" in legs else None,
    )
    try:
        build = reused_index(client, alias, size) if args.keep_index else None
        if build is None:
            build = build_index(
                client, alias, size, spec=spec, seed=args.seed, segments=args.segments
            )
        picks = [dict(zip(choices, combo, strict=True)) for combo in product(*choices.values())]
        services = {
            _label(picked, choices): SearchService(
                Settings(
                    es_url=url,
                    model=model,
                    text_model=MINILM_MODEL if picked["leg"] == "on" else "off",
                    index_alias=alias,
                    vector_index_type=args.index_type,
                    source_fetch=picked["fetch"],
                    knn_candidate_share=float(picked["share"]),
                ),
                gateway=TracingGateway(clients[picked["json"]], alias),
                embedder=embedder,
                text_embedder=text_embedder,
            )
            for picked in picks
        }
        modes = [mode for mode in MODES if mode in args.modes.split(",")]
        passes = [
            run_pass(name, services, texts, warmup, cached=name == "cached", modes=modes)
            for name in args.passes.split(",")
        ]
        report(size, build, passes, encode_ms(embedder, texts))
    finally:
        if not args.keep_index:
            drop_index(client, alias)


if __name__ == "__main__":
    main()
