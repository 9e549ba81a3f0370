"""Pure builders of Elasticsearch ``_search`` bodies: BM25, kNN and single-request hybrid.

Every function returns a fresh ``dict`` and performs no I/O. Filter clauses come from
:func:`hybrid.query.filters.to_clauses`, and the same list is given to every leg.

The BM25 leg's text clauses live in :mod:`hybrid.query.text_match`, facet aggregations in
:mod:`hybrid.query.facets`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from math import ceil, isfinite
from typing import Any, Final, Literal

from hybrid.query.filters import Clause
from hybrid.query.legs import VECTOR_FIELD_LEG
from hybrid.query.text_match import DEFAULT_MINIMUM_SHOULD_MATCH, text_clause
from hybrid.schema import LEG_SOURCE_FIELDS, VECTOR_FIELDS

Body = dict[str, Any]

#: Elasticsearch rejects ``num_candidates`` above this.
ES_MAX_NUM_CANDIDATES: Final = 10_000
#: Elasticsearch accepts ``rescore_vector.oversample`` from 1 to 10 (0 turns it off).
MAX_OVERSAMPLE: Final = 10.0


#: What the legs return: ``page`` = the fields fusion reads (the page is read after fusion);
#: ``legs`` = whole products without their vectors. See ``Settings.source_fetch``.
SourceFetch = Literal["legs", "page"]


def source_filter(fetch: SourceFetch = "legs") -> dict[str, Any]:
    """``_source`` of a leg body.

    ``page``: only what fusion reads (:data:`LEG_SOURCE_FIELDS`); whole products for a leg's
    100 hits to fill a 10-hit page cost about 1.2 ms a leg in Elasticsearch and on the wire.
    ``legs``: whole products, vectors left out by ``exclude_vectors`` (Elasticsearch 9 keeps
    them out of ``_source``; an ``excludes`` list would make it parse and filter every hit).
    """
    if fetch == "legs":
        return {"exclude_vectors": True}
    return {"includes": list(LEG_SOURCE_FIELDS)}


def num_candidates_for(k: int, *, cap: int, docs: int = 0, share: float = 0.0) -> int:
    """``num_candidates`` for a kNN leg returning ``k`` hits: ``max(k * 2, 100, docs * share)``,
    capped.

    HNSW is approximate: each shard explores ``num_candidates`` graph candidates and keeps the
    best ``k``. The served window is already wide (``k`` is the fusion window, 100 by default,
    not the page size), and on quantized indices ``rescore_vector`` gathers ``oversample * k``
    candidates on top, so twice ``k`` (at least 100) is the floor. The graph a query explores
    grows with the index while those candidates do not, so recall falls with size
    (docs/scaling.md: served recall@10 0.647 at 1M products with 200 candidates, 0.816 with
    1,000); ``share`` of the index's ``docs`` (``settings.knn_candidate_share``) keeps the
    exploration in step. ``docs`` is the whole index and ``num_candidates`` is per shard, so
    several shards explore more than the share (the products template has one).
    ``cap`` (``settings.max_num_candidates``) bounds the latency. Elasticsearch requires
    ``k <= num_candidates <= 10000``, so the result is never below ``k`` nor above 10000.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    if docs < 0 or share < 0:
        raise ValueError(f"docs and share must be >= 0; got {docs} and {share}")
    grown = ceil(docs * share)
    wanted = min(max(k * 2, 100, grown), cap, ES_MAX_NUM_CANDIDATES)
    return max(k, wanted)


def bm25_query(
    text: str,
    filter_clauses: Sequence[Clause],
    *,
    boosts: Mapping[str, float] | None = None,
    should: Sequence[Clause] = (),
    minimum_should_match: str | None = DEFAULT_MINIMUM_SHOULD_MATCH,
    boost: float | None = None,
    fuzzy: bool = True,
) -> Clause:
    """The BM25 ``bool`` query: ``multi_match`` must match, filters restrict, ``should`` boost.

    ``should`` clauses are optional next to a ``must`` (they only add score), which is what
    query-understanding boosts need.
    """
    query: dict[str, Any] = {
        "must": [text_clause(text, boosts, minimum_should_match=minimum_should_match, fuzzy=fuzzy)],
        "filter": list(filter_clauses),
    }
    if should:
        query["should"] = list(should)
    if boost is not None:
        query["boost"] = boost
    return {"bool": query}


def bm25_body(
    text: str,
    filter_clauses: Sequence[Clause],
    *,
    size: int,
    boosts: Mapping[str, float] | None = None,
    should: Sequence[Clause] = (),
    minimum_should_match: str | None = DEFAULT_MINIMUM_SHOULD_MATCH,
    source: SourceFetch = "legs",
    fuzzy: bool = True,
) -> Body:
    """A ``_search`` body for the BM25 leg.

    Args:
        text: the user's text, sent verbatim as ``multi_match.query``.
        filter_clauses: from :func:`~hybrid.query.filters.to_clauses`; into ``bool.filter``.
        size: hits to return (the fusion window, or the page size when BM25 runs alone).
        boosts: field -> boost; default :data:`~hybrid.query.text_match.DEFAULT_BOOSTS`.
        should: optional scoring clauses (query-understanding boosts).
        minimum_should_match: how many of the query's words must match.
        source: what the hits carry, see :func:`source_filter`.
        fuzzy: add the typo-tolerant clause (see :func:`text_clause`).

    Returns:
        The request body.
    """
    return {
        "query": bm25_query(
            text,
            filter_clauses,
            boosts=boosts,
            should=should,
            minimum_should_match=minimum_should_match,
            fuzzy=fuzzy,
        ),
        "size": size,
        "_source": source_filter(source),
    }


def _vector(field: str, values: Iterable[float]) -> list[float]:
    vector = [float(value) for value in values]
    if not vector or not all(isfinite(value) for value in vector):
        raise ValueError(f"query vector for {field!r} is empty or holds NaN/inf")
    return vector


def knn_clause(
    field: str,
    vector: Iterable[float],
    filter_clauses: Sequence[Clause],
    *,
    k: int,
    num_candidates: int,
    boost: float | None = None,
    oversample: float = 0.0,
) -> Clause:
    """One top-level ``knn`` search option.

    Args:
        field: the dense_vector field (``image_vector`` or ``text_vector``).
        vector: the query vector (a list or a numpy array).
        filter_clauses: the same clauses the BM25 leg gets; ANN pre-filtering keeps ``k`` hits.
        k: neighbours to return.
        num_candidates: see :func:`num_candidates_for`.
        boost: multiplies the kNN score (used when Elasticsearch sums legs).
        oversample: for quantized fields, gather ``oversample * k`` candidates and rescore them
            on the stored full-precision vectors inside Elasticsearch (``rescore_vector``);
            0 leaves the quantized scores as they are.

    Returns:
        ``{"field", "query_vector", "k", "num_candidates", "filter"[, "boost",
        "rescore_vector"]}``.
    """
    if not 1 <= k <= num_candidates <= ES_MAX_NUM_CANDIDATES:
        raise ValueError(f"need 1 <= k <= num_candidates <= 10000; got k={k}, {num_candidates=}")
    clause: Clause = {
        "field": field,
        "query_vector": _vector(field, vector),
        "k": k,
        "num_candidates": num_candidates,
        "filter": list(filter_clauses),
    }
    if boost is not None:
        clause["boost"] = boost
    if oversample:
        if not 1.0 <= oversample <= MAX_OVERSAMPLE:
            raise ValueError(f"oversample must be 0 or 1 to {MAX_OVERSAMPLE}; got {oversample}")
        clause["rescore_vector"] = {"oversample": oversample}
    return clause


def knn_body(
    field: str,
    vector: Iterable[float],
    filter_clauses: Sequence[Clause],
    *,
    k: int,
    num_candidates: int,
    size: int | None = None,
    oversample: float = 0.0,
    source: SourceFetch = "legs",
) -> Body:
    """A ``_search`` body for one kNN leg: top-level ``knn``, ``size`` (default ``k``).

    ``oversample``: see :func:`knn_clause`; ``source``: see :func:`source_filter`.
    """
    return {
        "knn": knn_clause(
            field,
            vector,
            filter_clauses,
            k=k,
            num_candidates=num_candidates,
            oversample=oversample,
        ),
        "size": k if size is None else size,
        "_source": source_filter(source),
    }


def single_request_body(
    text: str | None,
    vectors: Mapping[str, Iterable[float]],
    filter_clauses: Sequence[Clause],
    *,
    size: int,
    weights: Mapping[str, float],
    k: int,
    num_candidates: int,
    boosts: Mapping[str, float] | None = None,
    should: Sequence[Clause] = (),
    oversample: float = 0.0,
    source: SourceFetch = "legs",
) -> Body:
    """The ``single`` fusion mode: one ``_search`` with a ``knn`` list and a ``query``.

    Elasticsearch scores a hit as the sum of ``boost * score`` over the kNN clauses and the
    query that found it, so each leg's weight becomes its boost and a leg of weight 0 is left
    out. BM25 scores are unbounded while cosine ``_score`` lies in [0, 1], so the weights must
    absorb that difference in scale: this is why fusion in our code is the default.

    Args:
        text: BM25 text, or None for a vector-only request.
        vectors: dense_vector field name -> query vector.
        filter_clauses: the same filters for every kNN clause and for the query.
        size: hits to return; must not exceed ``k``.
        weights: leg name (``bm25``, ``image_knn``, ``text_knn``) -> weight; missing = 1.0.
        k: neighbours per kNN clause.
        num_candidates: see :func:`num_candidates_for`.
        boosts: BM25 field boosts.
        should: optional BM25 scoring clauses.
        oversample: exact rescoring of quantized kNN candidates (see :func:`knn_clause`).
        source: what the hits carry, see :func:`source_filter`.

    Returns:
        The request body.

    Raises:
        ValueError: a vector field has no leg, or every leg has weight 0.
    """
    knn = []
    for field, vector in vectors.items():
        if field not in VECTOR_FIELD_LEG:
            raise ValueError(f"unknown vector field {field!r}; expected one of {VECTOR_FIELDS}")
        weight = weights.get(VECTOR_FIELD_LEG[field], 1.0)
        if weight > 0:
            knn.append(
                knn_clause(
                    field,
                    vector,
                    filter_clauses,
                    k=k,
                    num_candidates=num_candidates,
                    boost=weight,
                    oversample=oversample,
                )
            )
    body: Body = {"size": size, "_source": source_filter(source)}
    if knn:
        body["knn"] = knn
    bm25_weight = weights.get("bm25", 1.0)
    if text is not None and bm25_weight > 0:
        body["query"] = bm25_query(
            text, filter_clauses, boosts=boosts, should=should, boost=bm25_weight
        )
    if "knn" not in body and "query" not in body:
        raise ValueError("single request has no leg with a weight above 0")
    return body
