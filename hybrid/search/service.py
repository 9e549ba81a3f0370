"""The search service: one request in, a ``_search``-shaped response out.

request -> understand -> embed -> plan -> search -> fuse -> rerank -> respond:

* **understand** the text (colour, category, brand from the index's own vocabulary,
  :mod:`hybrid.query.understanding`), which may add filters with relaxation steps;
* **embed** the query (:mod:`hybrid.search.vectors`, text vectors cached);
* **plan** one round's bodies (:mod:`hybrid.query.plan`, pure): BM25, kNN on ``image_vector``,
  on ``text_vector`` and (query text, text model on) on ``text_model_vector``, all with the same
  filters, and the facet aggregation;
* **search**: the round in one ``_msearch`` through the :class:`SearchGateway` (on quantized
  indices Elasticsearch rescores kNN candidates on the stored floats: ``rescore_vector``); a
  hard understood filter that leaves too few hits is relaxed and the round runs again;
* **fuse** the legs in our code (:mod:`hybrid.query.fusion`), add the understanding bonus,
  collapse variants;
* **rerank** the top fused hits with the pluggable :class:`Reranker` (none by default);
* **respond** (:mod:`hybrid.search.response`): hits with ``_explanation``, facets, paging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hybrid import es as es_ops
from hybrid.embedding import Embedder, get_embedder, get_text_embedder
from hybrid.errors import HybridSearchError, InvalidRequestError, ProductNotFoundError
from hybrid.images import ImageLimits
from hybrid.query.fusion import (
    FusedHit,
    LegHit,
    add_bonus,
    collapse_fused,
    fuse,
    leg_hits,
)
from hybrid.query.lexicon import load_all
from hybrid.query.plan import FACETS, RoundInputs, round_bodies
from hybrid.query.reading import apply_reading, exclusion_clauses, read_query
from hybrid.query.relaxation import relaxation_steps
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.synonyms import read_synonyms
from hybrid.query.tiers import lifted
from hybrid.query.understanding import (
    ParsedQuery,
    UnderstandingReport,
    apply_understanding,
    understanding_fit,
)
from hybrid.query.vocabulary import FacetVocabulary, phrase
from hybrid.schema import IMAGE_VECTOR, QUANTIZED_TYPES
from hybrid.search import guessing
from hybrid.search.anchor import find_anchor
from hybrid.search.gateway import ElasticsearchGateway, SearchGateway
from hybrid.search.rerank import Reranker, rerank_top
from hybrid.search.response import build_response, page_of
from hybrid.search.searchlog import SearchLog
from hybrid.search.vectors import QueryEncoder, QueryVectors, wire
from hybrid.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Understood:
    """What understanding decided before Elasticsearch is asked."""

    parsed: ParsedQuery
    report: UnderstandingReport
    should: list[dict[str, Any]]
    steps: list[tuple[Filters, tuple[str, ...]]]
    exclude: list[dict[str, Any]]
    text: str | None
    fuzzy: bool = True


@dataclass
class RoundResult:
    """What one round of legs returned."""

    legs: dict[str, list[LegHit]]
    facets: dict[str, Any] | None
    filters: Filters
    relaxed: tuple[str, ...]


class SearchService:
    """Runs :class:`SearchRequest` s against ``settings.index_alias``; one per process.

    Args:
        settings: the index, model and limits.
        gateway: the door to Elasticsearch (default: :class:`ElasticsearchGateway` on the
            process-wide client); the one injection point for tests.
        embedder: the query encoder's model (default: the process-wide one, loaded lazily).
        text_embedder: the text model of the ``text_model_knn`` leg (default: the process-wide
            one of ``settings.text_model``; unused when that setting is off).
        reranker: reorders the top ``settings.rerank_window`` fused hits (default: none).
        search_log: where each search is logged, off the request path (default: the log of
            ``settings``, or none when ``settings.search_log`` is off).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        gateway: SearchGateway | None = None,
        embedder: Embedder | None = None,
        text_embedder: Embedder | None = None,
        reranker: Reranker | None = None,
        search_log: SearchLog | None = None,
    ) -> None:
        self.settings = settings
        self.gateway = gateway or ElasticsearchGateway(
            es_ops.make_client(settings), settings.index_alias
        )
        self._embedder = embedder
        self._text_embedder = text_embedder
        self._encoder: QueryEncoder | None = None
        self._vocab: tuple[float, FacetVocabulary] | None = None
        self._docs: tuple[float, int] | None = None
        self.synonyms = read_synonyms(settings.synonyms_file)
        self.reranker = reranker
        self.search_log = search_log or SearchLog.from_settings(settings)
        quantized = settings.vector_index_type in QUANTIZED_TYPES
        self.oversample = settings.rescore_oversample if quantized else 0.0

    @property
    def encoder(self) -> QueryEncoder:
        """The query encoder (loads the model on first use)."""
        if self._encoder is None:
            embedder = self._embedder or get_embedder(self.settings)
            limits = ImageLimits.from_settings(self.settings)
            self._encoder = QueryEncoder(
                embedder,
                image_root=self.settings.image_root,
                limits=limits,
                text_model=self._text_model(),
            )
        return self._encoder

    def _text_model(self) -> Embedder | None:
        if not self.settings.text_model_on:
            return None
        return self._text_embedder or get_text_embedder(self.settings)

    def warm_up(self) -> None:
        """Load the models and run one text through them, so the first search is not slow.

        Raises:
            HybridSearchError: a model cannot be loaded (a subclass says why).
        """
        self.encoder.text("warm up")
        load_all()  # the word lists understanding reads (about 0.3 s)
        self.encoder.text_model_vector("warm up")
        guessing.warm(self.settings, self.synonyms)  # the labelled words' vectors (about 1 s)

    def vocabulary(self) -> FacetVocabulary:
        """The index's facet vocabulary, refreshed every ``vocabulary_ttl`` seconds."""
        now = time.monotonic()
        if self._vocab is None or now - self._vocab[0] > self.settings.vocabulary_ttl:
            values = self.gateway.facet_values()
            vocab = FacetVocabulary.from_buckets(
                colours=values["colours"],
                categories=values["categories"],
                brands=values["brands"],
                synonyms=self.synonyms,
            )
            self._vocab = (now, vocab)
        return self._vocab[1]

    def doc_count(self) -> int:
        """Documents behind the alias, refreshed every ``vocabulary_ttl`` seconds (kNN legs
        explore more candidates as the index grows: ``settings.knn_candidate_share``).

        A count that fails does not fail the search: the last count stands (0, the fixed
        floor of candidates, before the first), and the next search asks again.
        """
        now = time.monotonic()
        if self._docs is None or now - self._docs[0] > self.settings.vocabulary_ttl:
            try:
                self._docs = (now, self.gateway.doc_count())
            except HybridSearchError as exc:
                logger.warning("could not count the products behind the alias: %s", exc)
                return self._docs[1] if self._docs else 0
        return self._docs[1]

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """Run ``request``; the response is shaped like Elasticsearch's ``_search``."""
        started = time.perf_counter()
        understood = self._understand(request)
        # BM25 and the model get the text without price phrase and negations, typos corrected.
        sent = request.model_copy(update={"text": understood.text})
        vectors, image = self._vectors(sent)
        understood = self._anchored(request, understood, image)
        result, fused = self._search(sent, understood, vectors)
        fetched: dict[str, dict[str, Any]] = {}
        if self.reranker is not None:  # a reranker reads the products, not only their facets
            fused = self._with_sources(fused, fused[: self.settings.rerank_window], fetched)
            fused = rerank_top(self.reranker, request, fused, window=self.settings.rerank_window)
        fused = self._with_sources(fused, page_of(fused, request), fetched)
        report = understood.report.with_relaxed(result.relaxed, result.filters)
        took = int((time.perf_counter() - started) * 1000)
        if self.search_log is not None:  # queued for a background thread; never blocks
            self.search_log.submit(
                request, report, legs=result.legs, filters=result.filters, fused=fused, took_ms=took
            )
        return build_response(
            request,
            fused,
            result.facets,
            alias=self.gateway.alias,
            took=took,
            report=report,
            legs=result.legs,
            filters=result.filters,
        )

    def _with_sources(
        self,
        hits: list[FusedHit],
        chosen: Sequence[FusedHit],
        fetched: dict[str, dict[str, Any]],
    ) -> list[FusedHit]:
        """``hits`` with the whole ``_source`` of the ``chosen`` ones, read in one ``_mget``.

        With ``source_fetch="page"`` the legs return only the fields fusion reads
        (:data:`hybrid.schema.LEG_SOURCE_FIELDS`).
        ``fetched`` remembers what was read, so the page after a rerank is not read twice. A
        product deleted since the legs ran keeps the fields its leg returned.
        """
        if self.settings.source_fetch == "legs":
            return hits  # the legs returned whole products
        wanted = {hit.id for hit in chosen}
        missing = [doc_id for doc_id in wanted if doc_id not in fetched]
        if missing:
            fetched.update(self.gateway.sources(missing, timeout=self.settings.search_timeout))
        return [
            replace(hit, source=fetched[hit.id]) if hit.id in wanted and hit.id in fetched else hit
            for hit in hits
        ]

    # --- understand, embed ----------------------------------------------------------------

    def _understand(self, request: SearchRequest) -> Understood:
        mode = request.understanding
        if request.text and (request.image or request.product_id) and mode == "boost":
            mode = "filter"  # "like this, but in blue": the colour typed is a requirement
        if not request.text:
            parsed = ParsedQuery(text="", residual_text="")
            filters, should, report = apply_understanding(parsed, request.filters, mode=mode)
            steps = [(s.filters, s.dropped) for s in relaxation_steps(filters, {})]
            return Understood(parsed, report, should, steps, [], request.text)
        photo = request.image is not None or request.product_id is not None
        vocab = self.vocabulary()
        reading = read_query(request.text, vocab, mode=mode, with_photo=photo)
        alone, known = not photo and not request.filters.category, vocab.known_categories
        reading = guessing.guess_category(
            reading, self.settings, self.synonyms, known=known, mode=mode, alone=alone
        )
        filters, should, report = apply_understanding(reading.parsed, request.filters, mode=mode)
        filters, report = apply_reading(reading, filters, report)
        steps = [(s.filters, s.dropped) for s in relaxation_steps(filters, report.filters_added)]
        exclude = exclusion_clauses(reading)
        fuzzy = bool(reading.unplaced) or mode == "off"
        return Understood(reading.parsed, report, should, steps, exclude, reading.text, fuzzy)

    def _anchored(
        self, request: SearchRequest, understood: Understood, image: np.ndarray | None
    ) -> Understood:
        """Image + text: the photographed product's category becomes an understood filter.

        The shop's own category words win over the photo; a category read only through WordNet
        ("ballet-slipper pink" with a photo of a dress) gives way to it."""
        if image is None or not request.text or request.filters.category:
            return understood
        named = understood.report.filters_added.get("category")
        vocab = self.vocabulary()
        spans = [s.span for s in understood.parsed.matched_spans if s.facet == "category"]
        if named and not all(vocab.is_related(phrase(span)) for span in spans):
            return understood  # the words named a category: they win
        found = find_anchor(
            self.gateway,
            product_id=request.product_id,
            image_vector=image,
            timeout=self.settings.search_timeout,
        )
        if found is None:
            return understood
        strict = understood.steps[0][0].model_copy(update={"category": [found.category]})
        added = {**understood.report.filters_added, "category": [found.category]}
        yielded = [f"{span!r} (WordNet) gave way to the photo" for span in spans if named]
        notes = [*understood.report.notes, *yielded, found.note]
        report = understood.report.model_copy(update={"filters_added": added, "notes": notes})
        steps = [(s.filters, s.dropped) for s in relaxation_steps(strict, added)]
        return replace(understood, report=report, steps=steps)

    def _vectors(self, request: SearchRequest) -> tuple[QueryVectors, np.ndarray | None]:
        """The legs' vectors, and the query's own image vector (photo or product), if any."""
        if request.legs == frozenset({"text_model_knn"}) and not self.settings.text_model_on:
            raise InvalidRequestError(
                "leg 'text_model_knn' was asked for alone, but no text model is configured "
                "(HYBRID_TEXT_MODEL is off)"
            )
        if request.product_id is None and set(request.active_legs) <= {"bm25"}:
            return QueryVectors(image_knn=None, text_knn=None), None  # BM25 only: no model call
        image = self.encoder.image(request.image) if request.image is not None else None
        product = None
        if request.product_id is not None:
            found = self.gateway.stored_vectors([request.product_id])
            if request.product_id not in found:
                raise ProductNotFoundError(
                    f"product {request.product_id!r} is not in index {self.gateway.alias!r}"
                )
            product = {k: list(v) for k, v in found[request.product_id].items()}
        vectors = self.encoder.vectors(text=request.text, image=image, product=product)
        if image is None and product is not None and product.get(IMAGE_VECTOR):
            image = np.asarray(product[IMAGE_VECTOR], dtype=np.float32)
        return vectors, image

    # --- plan, search, fuse ---------------------------------------------------------------

    def _search(
        self, request: SearchRequest, understood: Understood, vectors: QueryVectors
    ) -> tuple[RoundResult, list[FusedHit]]:
        """Run rounds, relaxing understood filters, until the page can be filled."""
        inputs = self._round_inputs(request, understood, vectors)
        needed = request.offset + request.size
        result, fused = RoundResult({}, None, understood.steps[0][0], ()), []
        strict = understood.steps[0][0]
        for filters, dropped in understood.steps:
            result = self._round(request, inputs, filters, dropped)
            fused = self._fuse(request, understood.parsed, understood.report, result)
            if dropped:  # relaxed: what still meets the dropped requirements comes first
                fused = lifted(fused, strict, dropped)
            if len(fused) >= needed:
                break
        return result, fused

    def _round_inputs(
        self, request: SearchRequest, understood: Understood, vectors: QueryVectors
    ) -> RoundInputs:
        knn = {
            leg: wire(vector)
            for leg in request.active_legs
            if leg != "bm25" and (vector := getattr(vectors, leg)) is not None
        }
        return RoundInputs(
            knn=knn,
            should=understood.should,
            window=min(request.effective_window, self.settings.max_num_candidates),
            candidate_cap=self.settings.max_num_candidates,
            docs=self.doc_count() if knn and self.settings.knn_candidate_share else 0,
            candidate_share=self.settings.knn_candidate_share,
            oversample=self.oversample,
            source=self.settings.source_fetch,
            exclude=understood.exclude,
            fuzzy=understood.fuzzy,
        )

    def _round(
        self,
        request: SearchRequest,
        inputs: RoundInputs,
        filters: Filters,
        dropped: tuple[str, ...],
    ) -> RoundResult:
        planned = round_bodies(request, filters, inputs)
        responses = self.gateway.msearch(planned.bodies, timeout=self.settings.search_timeout)
        answers = dict(zip(planned.names, responses, strict=True))
        facets = answers.pop(FACETS, {}).get("aggregations") if request.facets else None
        legs = {name: leg_hits(response) for name, response in answers.items()}
        return RoundResult(legs, facets, filters, dropped)

    def _fuse(
        self,
        request: SearchRequest,
        parsed: ParsedQuery,
        report: UnderstandingReport,
        result: RoundResult,
    ) -> list[FusedHit]:
        fused = fuse(result.legs, request.fusion)
        # Filter mode favours too when a reading is weak (never a filter).
        favoured = report.mode == "boost" or (report.mode == "filter" and parsed.weak)
        if (parsed.colour_families or parsed.categories) and favoured:
            fused = add_bonus(
                fused,
                lambda hit: understanding_fit(hit.source, parsed),
                fraction=self.settings.understanding_bonus,
            )
        if request.product_id is not None:
            fused = [hit for hit in fused if hit.id != request.product_id]
        return collapse_fused(fused) if request.collapse else fused
