"""Scoring one search response against one judged query, and averaging the scores.

:func:`score_hits` turns a response's hits into a :class:`QueryScores` (every metric of
:mod:`hybrid.evaluation.metrics` that the query's judgments define); :func:`aggregate` averages
them per mode and query type. A metric a query cannot define (strict recall without a perfect
match, colour honour without a colour) is left out of that query's scores and of the averages;
the averages say over how many queries each was taken.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from hybrid.demo.catalog import JudgedQuery
from hybrid.evaluation import metrics
from hybrid.evaluation.devset import (
    CONTROL_SUFFIX,
    INTENT_METRICS,
    DevQuery,
    ProductFact,
    intent_metrics,
)
from hybrid.query.vocabulary import tokenize
from hybrid.vocab import colour_family_of_word

#: Metric names, in report order.
METRICS: Final[tuple[str, ...]] = (
    "ndcg@10",
    "recall@10",
    "recall@100",
    "strict_recall@10",
    "mrr",
    "colour@10",
)
#: The metrics of a dev-set run: the above and the intent shares of the first page.
DEV_METRICS: Final[tuple[str, ...]] = (*METRICS, *INTENT_METRICS)
#: The "query type" under which every query is averaged again.
ALL: Final = "all"
_MAX_COLOUR_WORDS: Final = 3  # longest colour phrase looked for: "light sky blue"


@dataclass(frozen=True)
class QueryScores:
    """The metrics of one query under one mode (a metric the query cannot define is absent)."""

    query_id: str
    query_type: str
    mode: str
    values: dict[str, float]
    hits: int


@dataclass
class Cell:
    """The average of each metric over the queries of one mode and query type."""

    queries: int = 0
    values: dict[str, float | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form: ``{"queries": n, "ndcg@10": 0.71, ..., "n": {"ndcg@10": n, ...}}``."""
        return {"queries": self.queries, **self.values, "n": dict(self.counts)}


def requested_family(text: str | None) -> str | None:
    """The one colour family a query text names ("maroon trainers" -> red), else None.

    Looks for the longest colour phrase first (up to three words) with the shop vocabulary;
    a text naming no colour, or two different families, asks for no single family.
    """
    if not text:
        return None
    words = [token.norm for token in tokenize(text)]
    found: set[str] = set()
    i = 0
    while i < len(words):
        for n in range(min(_MAX_COLOUR_WORDS, len(words) - i), 0, -1):
            family = colour_family_of_word(" ".join(words[i : i + n]))
            if family is not None:
                found.add(family)
                i += n
                break
        else:
            i += 1
    return found.pop() if len(found) == 1 else None


def _ranked(
    hits: Sequence[Mapping[str, Any]], query: JudgedQuery | DevQuery
) -> list[Mapping[str, Any]]:
    return [hit for hit in hits if hit["_id"] != query.source_id]


def score_hits(
    query: JudgedQuery | DevQuery,
    mode: str,
    hits: Sequence[Mapping[str, Any]],
    *,
    deep: Sequence[Mapping[str, Any]] | None = None,
    facts: Mapping[str, ProductFact] | None = None,
) -> QueryScores:
    """Every metric ``query``'s judgments define, for the hits ``mode`` returned.

    Args:
        query: the judged query; its ``source_id`` is dropped from the hits first.
        mode: the mode's name, recorded in the scores.
        hits: ``response["hits"]["hits"]`` (``_id`` and ``_source`` are read): the first page,
            for the top-10 metrics (nDCG@10, recall@10, MRR within the top 10, colour@10).
        deep: the hits of a deeper request, for recall@100 (default ``hits``).
        facts: the catalogue's ground truth, for the intent shares of a dev-set query.
    """
    kept = _ranked(hits, query)
    top = kept[:10]
    ranked = [str(hit["_id"]) for hit in top]
    deep_ranked = [str(hit["_id"]) for hit in (kept if deep is None else _ranked(deep, query))]
    judged = query.judgments
    values: dict[str, float] = {}
    if judged:
        best = max(judged.values())
        values["ndcg@10"] = metrics.ndcg_at_k(ranked, judged, 10)
        values["recall@10"] = metrics.recall_at_k(ranked, judged, 10)
        values["recall@100"] = metrics.recall_at_k(deep_ranked, judged, 100)
        values["strict_recall@10"] = metrics.recall_at_k(ranked, judged, 10, min_grade=best)
        if best >= metrics.MRR_MIN_GRADE:
            values["mrr"] = metrics.reciprocal_rank(ranked, judged)
    wanted = requested_family(query.text)
    if wanted is not None:
        families = [metrics.hit_families(hit.get("_source")) for hit in top]
        values["colour@10"] = metrics.colour_honour_at_k(families, wanted, 10)
    if isinstance(query, DevQuery) and facts is not None:
        values.update(intent_metrics(query, ranked, facts))
    return QueryScores(query.id, query.type, mode, values, len(deep_ranked))


def aggregate(
    scores: Iterable[QueryScores], *, names: Sequence[str] = METRICS
) -> dict[str, dict[str, Cell]]:
    """Mean of each metric in ``names`` per mode and query type, plus :data:`ALL` per mode.

    :data:`ALL` compares modes on the same queries only: it is the mean over every query of the
    run for a mode that ran them all, and an empty cell for a mode that skipped some (BM25 alone
    cannot run a pure image query). Averaging each mode over its own queries once made a mode
    that skipped the image queries look better than one that ran them. A dev set's controls
    (types ending in ``~control``) are left out of :data:`ALL` and averaged apart, in
    ``"all~control"``: mixed in, they once lifted the dev set's "all" from 0.858 to 0.909.

    Returns:
        ``{mode: {query type or "all": Cell}}``; modes and types keep first-seen order.
    """
    scores = list(scores)
    every_query = {score.query_id for score in scores}
    collected: dict[str, dict[str, list[QueryScores]]] = defaultdict(lambda: defaultdict(list))
    for score in scores:
        collected[score.mode][score.query_type].append(score)
    table: dict[str, dict[str, Cell]] = {}
    for mode, by_type in collected.items():
        table[mode] = {kind: _cell(items, names) for kind, items in by_type.items()}
        mine = [score for items in by_type.values() for score in items]
        ran_all = {score.query_id for score in mine} == every_query
        asked = [score for score in mine if not score.query_type.endswith(CONTROL_SUFFIX)]
        controls = [score for score in mine if score.query_type.endswith(CONTROL_SUFFIX)]
        table[mode][ALL] = _cell(asked, names) if ran_all else Cell()
        if controls:
            table[mode][ALL + CONTROL_SUFFIX] = _cell(controls, names) if ran_all else Cell()
    return table


def _cell(items: Sequence[QueryScores], names: Sequence[str]) -> Cell:
    cell = Cell(queries=len(items))
    for name in names:
        found = [s.values[name] for s in items if name in s.values]
        cell.values[name] = metrics.mean(found)
        cell.counts[name] = len(found)
    return cell
