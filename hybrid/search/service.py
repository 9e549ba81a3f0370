"""The search executor: one request in, a ``_search``-shaped response out.

Steps: understand the text (colour, category, brand from the index's own vocabulary), encode
the query, run every leg (BM25, kNN on ``image_vector``, kNN on ``text_vector``) plus the facet
aggregation in one ``_msearch`` round trip (on quantized indices Elasticsearch rescores the kNN
candidates on the full-precision vectors: ``rescore_vector``), apply a pluggable reranker, fuse in
our code, honour an understood colour, relax understood hard filters that leave too few hits,
collapse variants, and cut the page. All request bodies come from the pure ``hybrid.query``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hybrid import es as es_ops
from hybrid.embedding import Embedder, get_embedder
from hybrid.errors import ProductNotFoundError
from hybrid.images import ImageLimits
from hybrid.query.builders import (
    DEFAULT_MINIMUM_SHOULD_MATCH,
    bm25_body,
    knn_body,
    multi_match,
    single_request_body,
)
from hybrid.query.facets import facet_aggs
from hybrid.query.filters import split_facets, to_clauses
from hybrid.query.fusion import FusedHit, LegHit, collapse_fused, fuse, leg_hits, rerank_with_bonus
from hybrid.query.legs import LEG_VECTOR_FIELD, KnnLeg, Leg
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.understanding import (
    ParsedQuery,
    UnderstandingReport,
    apply_understanding,
    relaxation_steps,
    understand,
    understood_bonus,
)
from hybrid.query.vocabulary import FacetVocabulary
from hybrid.schema import QUANTIZED_TYPES
from hybrid.search.rerank import Reranker
from hybrid.search.response import build_response
from hybrid.search.vectors import QueryEncoder, QueryVectors
from hybrid.settings import Settings


@dataclass
class Plan:
    """Everything decided before Elasticsearch is asked."""

    parsed: ParsedQuery
    report: UnderstandingReport
    filters: Filters
    should: list[dict[str, Any]]
    vectors: QueryVectors
    steps: list[tuple[Filters, tuple[str, ...]]] = field(default_factory=list)


@dataclass
class LegResults:
    """What one round of legs returned."""

    legs: dict[str, list[LegHit]]
    facets: dict[str, Any] | None
    filters: Filters
    relaxed: tuple[str, ...]


class SearchService:
    """Runs :class:`SearchRequest` s against ``settings.index_alias``; one per process.

    Args:
        settings: the index, model and limits.
        client: an Elasticsearch client (default: the process-wide one).
        embedder: the query encoder's model (default: the process-wide one, loaded lazily).
        reranker: a kNN-leg reranker run on each leg's hits before fusion (default: none; exact
            rescoring of quantized vectors happens inside Elasticsearch, see
            ``settings.rescore_oversample``).
    """

    def __init__(
        self, settings: Settings, *, client: es_ops.Client | None = None,
        embedder: Embedder | None = None, reranker: Reranker | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.client = client or es_ops.make_client(settings)
        self._embedder = embedder
        self._encoder: QueryEncoder | None = None
        self._vocab: tuple[float, FacetVocabulary] | None = None
        self.reranker = reranker
        self.oversample = (
            settings.rescore_oversample if settings.vector_index_type in QUANTIZED_TYPES else 0.0
        )

    @property
    def encoder(self) -> QueryEncoder:
        """The query encoder (loads the model on first use)."""
        if self._encoder is None:
            embedder = self._embedder or get_embedder(self.settings)
            limits = ImageLimits.from_settings(self.settings)
            self._encoder = QueryEncoder(
                embedder, image_root=self.settings.image_root, limits=limits
            )
        return self._encoder

    def warm_up(self) -> None:
        """Load the model and run one text through it, so the first search is not the slow one.

        Raises:
            HybridSearchError: the model cannot be loaded (a subclass says why).
        """
        self.encoder.text("warm up")

    def vocabulary(self) -> FacetVocabulary:
        """The index's facet vocabulary, refreshed every ``vocabulary_ttl`` seconds."""
        now = time.monotonic()
        if self._vocab is None or now - self._vocab[0] > self.settings.vocabulary_ttl:
            values = es_ops.facet_values(self.client, self.settings.index_alias)
            vocab = FacetVocabulary.from_buckets(
                colours=values["colours"], categories=values["categories"], brands=values["brands"]
            )
            self._vocab = (now, vocab)
        return self._vocab[1]

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """Run ``request``; the response is shaped like Elasticsearch's ``_search``."""
        started = time.perf_counter()
        plan = self._plan(request)
        results, fused = self._run(request, plan)
        took = int((time.perf_counter() - started) * 1000)
        return build_response(
            request, fused, results.facets, alias=self.settings.index_alias, took=took,
            report=plan.report.with_relaxed(results.relaxed), legs=results.legs,
            filters=results.filters,
        )  # fmt: skip

    # --- planning -------------------------------------------------------------------------

    def _plan(self, request: SearchRequest) -> Plan:
        mode = request.understanding
        if request.text and (request.image or request.product_id) and mode == "boost":
            mode = "filter"  # "like this, but in blue": the colour typed is a requirement
        parsed = (
            understand(request.text, self.vocabulary(), mode=mode)
            if request.text
            else ParsedQuery(text="", residual_text="")
        )
        filters, should, report = apply_understanding(parsed, request.filters, mode=mode)
        steps = [(s.filters, s.dropped) for s in relaxation_steps(filters, report.filters_added)]
        return Plan(parsed, report, filters, should, self._vectors(request), steps)

    def _vectors(self, request: SearchRequest) -> QueryVectors:
        if request.product_id is None and set(request.active_legs) <= {"bm25"}:
            return QueryVectors(image_knn=None, text_knn=None)  # BM25 only: no model call
        image = self.encoder.image(request.image) if request.image is not None else None
        product = None
        if request.product_id is not None:
            found = self._read_vectors([request.product_id])
            if request.product_id not in found:
                raise ProductNotFoundError(
                    f"product {request.product_id!r} is not in index {self.settings.index_alias!r}"
                )
            product = {k: list(v) for k, v in found[request.product_id].items()}
        return self.encoder.vectors(text=request.text, image=image, product=product)

    def _read_vectors(self, ids: Any) -> dict[str, dict[str, list[float]]]:
        return es_ops.stored_vectors(self.client, self.settings.index_alias, list(ids))

    # --- running --------------------------------------------------------------------------

    def _run(self, request: SearchRequest, plan: Plan) -> tuple[LegResults, list[FusedHit]]:
        needed = request.offset + request.size
        results, fused = LegResults({}, None, plan.filters, ()), []
        for filters, dropped in plan.steps:
            results = self._round(request, plan, filters, dropped)
            fused = self._fuse(request, plan, results)
            if len(fused) >= needed:
                break
        return results, fused

    def _fuse(self, request: SearchRequest, plan: Plan, results: LegResults) -> list[FusedHit]:
        fused = fuse(results.legs, request.fusion)
        understood = plan.parsed.colour_families or plan.parsed.categories
        if understood and plan.report.mode == "boost":
            fused = rerank_with_bonus(
                fused,
                lambda hit: understood_bonus(hit.source, plan.parsed),
                fraction=self.settings.understanding_bonus,
            )
        if request.product_id is not None:
            fused = [hit for hit in fused if hit.id != request.product_id]
        return collapse_fused(fused) if request.collapse else fused

    def _round(
        self, request: SearchRequest, plan: Plan, filters: Filters, dropped: tuple[str, ...]
    ) -> LegResults:
        clauses = to_clauses(filters)
        window = min(request.effective_window, self.settings.max_num_candidates)
        names, bodies = self._leg_bodies(request, plan, clauses, window)
        if request.facets:
            bodies.append(self._facet_body(request, plan, filters, window))
        responses = es_ops.msearch(
            self.client, self.settings.index_alias, bodies, timeout=self.settings.search_timeout
        )
        legs = {name: leg_hits(resp) for name, resp in zip(names, responses, strict=False)}
        legs = self._rerank(legs, plan.vectors)
        facets = responses[-1].get("aggregations") if request.facets else None
        return LegResults(legs, facets, filters, dropped)

    def _leg_bodies(
        self, request: SearchRequest, plan: Plan, clauses: list[dict[str, Any]], window: int
    ) -> tuple[list[str], list[dict[str, Any]]]:
        knn = {
            leg: vector for leg in request.active_legs if leg != "bm25"
            if (vector := getattr(plan.vectors, leg)) is not None
        }  # fmt: skip
        if request.fusion.method == "single":
            vectors = {LEG_VECTOR_FIELD[leg]: v.tolist() for leg, v in knn.items()}
            weights = {str(leg): w for leg, w in _weights(request).items()}
            body = single_request_body(
                request.text if "bm25" in request.active_legs else None, vectors, clauses,
                size=window, weights=weights, k=window, num_candidates=self._candidates(window),
                should=plan.should, oversample=self.oversample,
            )  # fmt: skip
            return ["single"], [body]
        names: list[str] = []
        bodies: list[dict[str, Any]] = []
        if "bm25" in request.active_legs and request.text:
            names.append("bm25")
            bodies.append(bm25_body(request.text, clauses, size=window, should=plan.should))
        for leg, vector in knn.items():
            names.append(leg)
            bodies.append(
                knn_body(LEG_VECTOR_FIELD[leg], vector.tolist(), clauses, k=window,
                         num_candidates=self._candidates(window), size=window,
                         oversample=self.oversample)
            )  # fmt: skip
        return names, bodies

    def _facet_body(
        self, request: SearchRequest, plan: Plan, filters: Filters, window: int
    ) -> dict[str, Any]:
        """Facet counts over what the legs can return: BM25 matches or the nearest products,
        under the hard filters; each facet is filtered by the *other* facets (multi-select)."""
        hard, _ = split_facets(filters)
        hard_clauses = to_clauses(hard)
        should: list[dict[str, Any]] = []
        if request.text:
            should.append(
                multi_match(request.text, minimum_should_match=DEFAULT_MINIMUM_SHOULD_MATCH)
            )
        vector = plan.vectors.image_knn
        if vector is not None:
            should.append({"knn": {
                "field": "image_vector", "query_vector": vector.tolist(), "k": window,
                "num_candidates": self._candidates(window), "filter": hard_clauses,
            }})  # fmt: skip
        query = {"bool": {"filter": hard_clauses, "should": should, "minimum_should_match": 1}}
        return {"size": 0, "query": query, "aggs": facet_aggs(filters)}

    def _candidates(self, k: int) -> int:
        return min(max(k * 2, 100), self.settings.max_num_candidates, 10_000)

    def _rerank(
        self, legs: dict[str, list[LegHit]], vectors: QueryVectors
    ) -> dict[str, list[LegHit]]:
        if self.reranker is None:
            return legs
        for name in list(legs):
            if name in LEG_VECTOR_FIELD:
                leg: KnnLeg = name  # type: ignore[assignment]
                query = getattr(vectors, leg)
                if query is not None:
                    legs[name] = self.reranker(leg, legs[name], np.asarray(query))
        return legs


def _weights(request: SearchRequest) -> dict[Leg, float]:
    return {leg: request.fusion.weight(leg) for leg in request.active_legs}
