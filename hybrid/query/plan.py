"""Planning a search round: the ``_msearch`` bodies for every leg and the facets, as dicts.

Pure: the service (:mod:`hybrid.search.service`) understands the request and encodes its
vectors, then asks this module for the bodies of one round (one relaxation step) and sends them
in a single ``_msearch``. Every body goes through :mod:`hybrid.query.builders`, so the kNN
checks (``k <= num_candidates <= 10000``, finite vectors) hold for the facet body too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hybrid.query.builders import (
    Body,
    SourceFetch,
    bm25_body,
    knn_body,
    knn_clause,
    num_candidates_for,
    single_request_body,
)
from hybrid.query.facets import facet_aggs
from hybrid.query.filters import Clause, split_facets, to_clauses
from hybrid.query.legs import LEG_VECTOR_FIELD, KnnLeg, Leg
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.text_match import text_match_clause
from hybrid.schema import IMAGE_VECTOR

#: The name of the facet body among a round's bodies (it is always the last one).
FACETS = "facets"


@dataclass(frozen=True)
class RoundBodies:
    """The bodies of one ``_msearch`` round, and which leg (or ``facets``) each one is."""

    names: list[str]
    bodies: list[Body]


@dataclass(frozen=True)
class RoundInputs:
    """What a round is planned from besides the request.

    Attributes:
        knn: the query vector of each kNN leg that has one.
        should: understanding's boosts for the BM25 leg (empty when it filters or is off).
        window: hits per leg (``k``), already capped by ``max_num_candidates``.
        candidate_cap: ``settings.max_num_candidates``.
        docs: documents behind the alias (0: unknown), and
        candidate_share: ``settings.knn_candidate_share``: ``num_candidates`` grows with the
            index (:func:`hybrid.query.builders.num_candidates_for`).
        oversample: ``rescore_vector`` oversampling for quantized indices (0 = off).
        source: what the legs' hits carry (``Settings.source_fetch``).
        exclude: ``must_not`` filter clauses from negations, added to every leg's filters
            (kNN ``filter`` included) and to the facet body.
        fuzzy: give BM25 the typo-tolerant clause (the text holds a word nobody placed).
    """

    knn: Mapping[KnnLeg, Iterable[float]]
    should: Sequence[Clause]
    window: int
    candidate_cap: int
    docs: int = 0
    candidate_share: float = 0.0
    oversample: float = 0.0
    source: SourceFetch = "legs"
    exclude: Sequence[Clause] = ()
    fuzzy: bool = True

    @property
    def num_candidates(self) -> int:
        """``num_candidates`` of every kNN leg of the round."""
        return num_candidates_for(
            self.window, cap=self.candidate_cap, docs=self.docs, share=self.candidate_share
        )


def round_bodies(request: SearchRequest, filters: Filters, inputs: RoundInputs) -> RoundBodies:
    """Every body of one round: the legs (or the single request), then the facets if asked."""
    clauses = to_clauses(filters) + list(inputs.exclude)
    if request.fusion.method == "single":
        names, bodies = ["single"], [_single_body(request, clauses, inputs)]
    else:
        names, bodies = _leg_bodies(request, clauses, inputs)
    if request.facets:
        names.append(FACETS)
        bodies.append(facet_body(request.text, inputs.knn.get("image_knn"), filters, inputs))
    return RoundBodies(names, bodies)


def _leg_bodies(
    request: SearchRequest, clauses: list[Clause], inputs: RoundInputs
) -> tuple[list[str], list[Body]]:
    names: list[str] = []
    bodies: list[Body] = []
    if "bm25" in request.active_legs and request.text:
        names.append("bm25")
        bodies.append(
            bm25_body(
                request.text,
                clauses,
                size=inputs.window,
                should=list(inputs.should),
                source=inputs.source,
                fuzzy=inputs.fuzzy,
            )
        )
    for leg, vector in inputs.knn.items():
        names.append(leg)
        body = knn_body(
            LEG_VECTOR_FIELD[leg],
            vector,
            clauses,
            k=inputs.window,
            num_candidates=inputs.num_candidates,
            size=inputs.window,
            oversample=inputs.oversample,
            source=inputs.source,
        )
        bodies.append(body)
    return names, bodies


def _single_body(request: SearchRequest, clauses: list[Clause], inputs: RoundInputs) -> Body:
    vectors = {LEG_VECTOR_FIELD[leg]: list(vector) for leg, vector in inputs.knn.items()}
    return single_request_body(
        request.text if "bm25" in request.active_legs else None,
        vectors,
        clauses,
        size=inputs.window,
        weights={str(leg): weight for leg, weight in leg_weights(request).items()},
        k=inputs.window,
        num_candidates=inputs.num_candidates,
        should=list(inputs.should),
        oversample=inputs.oversample,
        source=inputs.source,
    )


def facet_body(
    text: str | None, image_vector: Iterable[float] | None, filters: Filters, inputs: RoundInputs
) -> Body:
    """Facet counts over what the legs can return: BM25 matches or the nearest products.

    The BM25 part is :func:`~hybrid.query.text_match.text_match_clause`: the same products as
    the leg's scored clause, typo expansion only when the leg has it.

    Counted under the hard filters only; each facet's own aggregation is filtered by the
    *other* ticked facets (multi-select), see :func:`hybrid.query.facets.facet_aggs`.
    """
    hard, _ = split_facets(filters)
    hard_clauses = to_clauses(hard) + list(inputs.exclude)
    should: list[dict[str, Any]] = []
    if text:
        should.append(text_match_clause(text, fuzzy=inputs.fuzzy))
    if image_vector is not None:
        knn = knn_clause(
            IMAGE_VECTOR,
            image_vector,
            hard_clauses,
            k=inputs.window,
            num_candidates=inputs.num_candidates,
        )
        should.append({"knn": knn})
    query = {"bool": {"filter": hard_clauses, "should": should, "minimum_should_match": 1}}
    return {"size": 0, "query": query, "aggs": facet_aggs(filters)}


def leg_weights(request: SearchRequest) -> dict[Leg, float]:
    """The fusion weight of every leg the request runs."""
    return {leg: request.fusion.weight(leg) for leg in request.active_legs}
