"""Running the evaluation: index the catalogue, run every judged query under every mode, score.

:func:`run_evaluation` is the whole run. The catalogue is indexed through the project's own
path (:func:`hybrid.indexing.producer.ingest_inline`, the code the Celery workers run) into a fresh
index behind ``settings.index_alias`` (unless ``reuse_index``), and searched through
:class:`~hybrid.search.SearchService`, so the figures measure what users get.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from hybrid import es as es_ops
from hybrid.demo.catalog import JudgedQuery, load_queries
from hybrid.embedding import get_embedder, get_text_embedder
from hybrid.errors import ConfigurationError, HybridSearchError, InvalidRequestError
from hybrid.evaluation import ann
from hybrid.evaluation.caching import CachingEmbedder
from hybrid.evaluation.devset import DevQuery, ProductFact, dev_queries, read_facts
from hybrid.evaluation.modes import EVAL_DEPTH, Mode
from hybrid.evaluation.scoring import (
    DEV_METRICS,
    METRICS,
    Cell,
    QueryScores,
    aggregate,
    score_hits,
)
from hybrid.query.legs import KNN_LEGS, LEG_VECTOR_FIELD
from hybrid.search import SearchService
from hybrid.settings import Settings

PRODUCTS_FILE = "products.jsonl"
#: The first page: what nDCG@10, recall@10, MRR and colour@10 are measured on.
PAGE = 10
QUERIES_FILE = "queries.jsonl"


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate.

    Attributes:
        catalog: the catalogue directory (``products.jsonl``, ``queries.jsonl``, ``images/``).
        modes: the modes to run, in report order.
        n_queries: at most this many queries of each type (None = all).
        reuse_index: search the index already behind the alias instead of rebuilding it.
        ann: also measure ANN recall of the kNN legs (reads every stored vector).
        depth: hits asked for per query (recall@100 needs 100).
        devset: run this dev set (:data:`hybrid.evaluation.devset.DEVSETS`), judged over the
            catalogue, instead of the catalogue's own queries.
    """

    catalog: Path
    modes: Sequence[Mode]
    n_queries: int | None = None
    reuse_index: bool = False
    ann: bool = True
    depth: int = EVAL_DEPTH
    devset: str | None = None


@dataclass(frozen=True)
class IndexReport:
    """The index the run searched."""

    alias: str
    documents: int
    rebuilt: bool
    rejected: int = 0
    dropped: list[str] = field(default_factory=list)


@dataclass
class EvalResult:
    """Everything a report needs."""

    catalog: Path
    index: IndexReport
    model: str
    modes: list[Mode]
    queries: dict[str, int]
    table: dict[str, dict[str, Cell]]
    ann: dict[str, dict[str, Cell]]
    scores: list[QueryScores]
    """Per query and mode (the ANN measurements are only in ``ann``)."""
    timings: dict[str, float]
    encoder_cache: dict[str, int]
    devset: str | None = None


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 2)


def eval_settings(settings: Settings, catalog: Path) -> Settings:
    """``settings`` with the catalogue as image root (its records use relative image paths),
    and no shop synonyms file: the dev sets measure what the project reads on its own."""
    return settings.model_copy(update={"image_root": catalog.resolve(), "synonyms_file": None})


def prepare_index(
    settings: Settings, catalog: Path, *, reuse: bool, console: Console
) -> IndexReport:
    """Index the catalogue into a fresh index behind the alias, or check the existing one.

    Raises:
        ConfigurationError: ``reuse`` but the alias holds no documents.
    """
    from hybrid.indexing.producer import ingest_inline

    client, alias = es_ops.make_client(settings), settings.index_alias
    if reuse:
        documents = _document_count(client, alias)
        if documents == 0:
            raise ConfigurationError(
                f"--reuse-index: alias {alias!r} holds no documents; run once without it"
            )
        return IndexReport(alias, documents, rebuilt=False)
    dropped = es_ops.drop_alias(client, alias)
    report = ingest_inline(settings, catalog / PRODUCTS_FILE, console=console)
    documents = _document_count(client, alias)
    return IndexReport(
        alias, documents, rebuilt=True, rejected=len(report.rejected), dropped=dropped
    )


def _document_count(client: Any, alias: str) -> int:
    """How many documents ``alias`` holds now (0 when it does not exist)."""
    if es_ops.alias_target(client, alias) is None:
        return 0
    es_ops.refresh(client, alias)
    return es_ops.count(client, alias)


EvalQuery = JudgedQuery | DevQuery


def select_queries(queries: Iterable[EvalQuery], per_type: int | None) -> list[EvalQuery]:
    """The first ``per_type`` queries of each type (all with None), in file order."""
    taken: dict[str, int] = defaultdict(int)
    selected = []
    for query in queries:
        if per_type is None or taken[query.type] < per_type:
            taken[query.type] += 1
            selected.append(query)
    return selected


def search_mode(
    service: SearchService,
    query: EvalQuery,
    mode: Mode,
    *,
    settings: Settings,
    depth: int,
    facts: dict[str, ProductFact] | None = None,
) -> QueryScores:
    """Run ``query`` under ``mode`` and score it.

    One request of ``depth`` hits serves every metric. Its first ten hits are the first page a
    shopper sees, except when the service relaxed an understood filter to fill the deep
    request: a first page alone would have kept it, so the page is then asked for separately.
    """
    try:
        deep = service.search(mode(query, size=depth, settings=settings))
        if not deep.get("understanding", {}).get("relaxed"):
            return score_hits(query, mode.name, deep["hits"]["hits"], facts=facts)
        page_size = PAGE + (query.source_id is not None)  # the query's own product is dropped
        page = service.search(mode(query, size=page_size, settings=settings))
    except HybridSearchError as exc:
        raise HybridSearchError(f"mode {mode.name!r} failed on {query.id!r}: {exc}") from exc
    hits = page["hits"]["hits"]
    return score_hits(query, mode.name, hits, deep=deep["hits"]["hits"], facts=facts)


def run_modes(
    service: SearchService,
    queries: Sequence[EvalQuery],
    modes: Sequence[Mode],
    *,
    settings: Settings,
    depth: int,
    progress: Progress,
    facts: dict[str, ProductFact] | None = None,
) -> list[QueryScores]:
    """Every applicable mode on every query, scored."""
    work = [(query, mode) for query in queries for mode in modes if mode.applies(query)]
    task = progress.add_task("searching", total=len(work))
    scores = []
    for query, mode in work:
        scores.append(
            search_mode(service, query, mode, settings=settings, depth=depth, facts=facts)
        )
        progress.advance(task)
    return scores


def load_vectors(settings: Settings) -> ann.StoredVectors:
    """Every stored vector of the kNN fields (memory: documents x dims x 8 bytes)."""
    client = es_ops.make_client(settings)
    by_leg = {
        leg: es_ops.read_vectors(client, settings.index_alias, LEG_VECTOR_FIELD[leg])
        for leg in KNN_LEGS
        if leg != "text_model_knn" or settings.text_model_on
    }
    return ann.StoredVectors(by_leg)


def run_ann(
    service: SearchService,
    queries: Sequence[EvalQuery],
    vectors: ann.StoredVectors,
    *,
    settings: Settings,
    progress: Progress,
) -> list[QueryScores]:
    """ANN recall@10 of the kNN legs on every catalogue query (see :mod:`hybrid.evaluation.ann`).

    Dev-set queries are left out: ANN recall is a property of the index, which the catalogue's
    own queries measure.
    """
    catalogue = [query for query in queries if isinstance(query, JudgedQuery)]
    raw = SearchService(
        settings.model_copy(update={"rescore_oversample": 0.0}),
        gateway=service.gateway,
        embedder=service.encoder.embedder,
        text_embedder=service.encoder.text_model,
    )
    task = progress.add_task("ANN recall", total=len(catalogue))
    scores: list[QueryScores] = []
    for query in catalogue:
        scores += ann.measure_query(
            query, served=service, raw=raw, exact=vectors.exact, settings=settings
        )
        progress.advance(task)
    return scores


def run_evaluation(settings: Settings, config: EvalConfig, *, console: Console) -> EvalResult:
    """Index (or reuse), search every query under every mode, measure ANN recall, aggregate.

    Args:
        settings: the cluster, the alias to (re)build and the model; ``image_root`` is set to
            the catalogue directory here.
        config: what to evaluate.
        console: where progress goes.

    Raises:
        InvalidRequestError: the catalogue has no judged queries.
        ConfigurationError: ``reuse_index`` but the alias is empty.
        HybridSearchError: indexing or a search failed (the mode and query are named).
    """
    settings = eval_settings(settings, config.catalog)
    watch = _Stopwatch()
    depth = min(config.depth, settings.max_size)
    with watch.phase("total"):
        queries, facts = _queries(config)
        if not queries:
            raise InvalidRequestError(f"{config.catalog / QUERIES_FILE} holds no judged queries")
        with watch.phase("index"):
            index = prepare_index(
                settings, config.catalog, reuse=config.reuse_index, console=console
            )
        with watch.phase("model"):
            embedder = CachingEmbedder(get_embedder(settings))
            text_model = get_text_embedder(settings)
            text_embedder = None if text_model is None else CachingEmbedder(text_model)
            # Loading the models here keeps them out of the timed searches.
            model = _model_line(embedder, text_embedder)
        with watch.phase("vectors"):
            vectors = load_vectors(settings) if config.ann else None
        service = SearchService(settings, embedder=embedder, text_embedder=text_embedder)
        with Progress(console=console, transient=True) as progress:
            with watch.phase("search"):
                scores = run_modes(
                    service,
                    queries,
                    config.modes,
                    settings=settings,
                    depth=depth,
                    progress=progress,
                    facts=facts,
                )
            ann_scores: list[QueryScores] = []
            if vectors is not None:
                with watch.phase("ann"):
                    ann_scores = run_ann(
                        service, queries, vectors, settings=settings, progress=progress
                    )
    return EvalResult(
        catalog=config.catalog,
        index=index,
        model=model,
        modes=list(config.modes),
        queries=_count_types(queries),
        table=aggregate(scores, names=DEV_METRICS if config.devset else METRICS),
        ann=aggregate(ann_scores, names=ann.ANN_METRICS),
        scores=scores,
        timings=watch.timings,
        encoder_cache={"hits": embedder.hits, "misses": embedder.misses},
        devset=config.devset,
    )


def _model_line(embedder: CachingEmbedder, text_embedder: CachingEmbedder | None) -> str:
    """``demo_clip@... (256 dims)``, and the text model when its leg is on."""
    line = f"{embedder.model_id} ({embedder.dims} dims)"
    if text_embedder is not None:
        line += f"; text model {text_embedder.model_id} ({text_embedder.dims} dims)"
    return line


def _queries(config: EvalConfig) -> tuple[list[EvalQuery], dict[str, ProductFact] | None]:
    """The judged queries to run, and the ground truth when they are a dev set's."""
    if config.devset is None:
        loaded: list[EvalQuery] = list(load_queries(config.catalog / QUERIES_FILE))
        return select_queries(loaded, config.n_queries), None
    dev: list[EvalQuery] = list(dev_queries(config.devset, config.catalog))
    return select_queries(dev, config.n_queries), read_facts(config.catalog)


def _count_types(queries: Sequence[EvalQuery]) -> dict[str, int]:
    """How many queries of each type, in first-seen order."""
    counts: dict[str, int] = {}
    for query in queries:
        counts[query.type] = counts.get(query.type, 0) + 1
    return counts


def result_dict(result: EvalResult) -> dict[str, Any]:
    """The JSON form of a result (``hybrid eval --json``)."""
    from hybrid.evaluation.metrics import MRR_MIN_GRADE

    return {
        "catalog": str(result.catalog),
        "devset": result.devset,
        "index": vars(result.index),
        "model": result.model,
        "queries": result.queries,
        "modes": [_mode_dict(mode) for mode in result.modes],
        "metrics": list(METRICS),
        "definitions": {
            "ndcg@10": "gain 2^grade-1, discount log2(rank+1), ideal from the judgments",
            "recall@k": "share of judged products (grade >= 1) in the top k",
            "strict_recall@10": "share of the query's best-grade products in the top 10",
            "mrr": f"1/rank of the first hit of grade >= {MRR_MIN_GRADE} in the top 10, else 0",
            "colour@10": "share of the top 10 whose colour_family (else image_colour_family) "
            "is the family the query text names",
            "ann_recall@10": "kNN leg top 10 as served vs exact brute-force cosine top 10",
            "ann_recall@10_raw": "the same without rescoring (quantized HNSW order)",
        },
        "results": _table_dict(result.table),
        "ann": _table_dict(result.ann),
        "timings_s": result.timings,
        "encoder_cache": result.encoder_cache,
    }


def _table_dict(table: dict[str, dict[str, Cell]]) -> dict[str, dict[str, Any]]:
    return {
        mode: {kind: cell.as_dict() for kind, cell in cells.items()}
        for mode, cells in table.items()
    }


def _mode_dict(mode: Mode) -> dict[str, Any]:
    return {
        "name": mode.name,
        "legs": None if mode.legs is None else sorted(mode.legs),
        "method": mode.method,
        "normalisation": mode.normalisation,
        "weights": dict(mode.weights),
        "understanding": mode.understanding,
    }
