"""The judged query set: graded relevance computed from the catalogue's ground truth.

``queries.jsonl`` holds one :class:`JudgedQuery` per line. Grades run from 1 (partial) to 3
(perfect); unjudged products are not relevant. Query types and grading:

* ``text`` ("red sneakers", "striped t-shirt", "leather handbag"): 3 = the category and every
  asked attribute (colour family, pattern, material) match; 2 = the category and some of them;
  1 = the category only.
* ``colour_synonym`` ("maroon trainers", "wine running shoes"): the same grading, with colour
  words that are not the family name and mostly absent from titles.
* ``image`` (a product photo): 3 = same group and colour family, 2 = same group in another
  family, 1 = same category and family, another group.
* ``image_text`` (a photo plus "like this, but in blue"): 3 = same group in that family,
  2 = same category in that family.

The query product of image queries is never judged: it is named in ``source_id`` so that
evaluators can drop it from the results before scoring.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from hybrid.demo.catalog.plan import QUERY_TYPES, QuerySpec, QueryType
from hybrid.demo.catalog.truth import ProductTruth, iter_json_objects
from hybrid.errors import InvalidRequestError

_GRADES = (3, 2, 1)
DEFAULT_MAX_JUDGMENTS = 1000
"""Per query, at most this many judgments are kept (best grades first, then catalogue order)."""


@dataclass(frozen=True)
class JudgedQuery:
    """A query with graded relevance judgments.

    Attributes:
        id: e.g. ``"q-txt-001"``.
        type: ``"text"``, ``"colour_synonym"``, ``"image"`` or ``"image_text"``.
        text: the query text, ``None`` for pure image queries.
        image: the query image's path relative to the catalogue directory, or ``None``.
        judgments: product id -> grade (1-3), best grades first.
        source_id: the product whose image is the query; it is never judged, drop it from
            results before scoring.
    """

    id: str
    type: QueryType
    text: str | None
    image: str | None
    judgments: dict[str, int] = field(default_factory=dict)
    source_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able form written to ``queries.jsonl``."""
        return {
            "id": self.id,
            "type": self.type,
            "text": self.text,
            "image": self.image,
            "source_id": self.source_id,
            "judgments": self.judgments,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JudgedQuery:
        """Rebuild a query from :meth:`to_dict` output.

        Raises:
            InvalidRequestError: if the type, a grade or a required field is invalid.
        """
        query_id = data.get("id")
        kind = data.get("type")
        if not isinstance(query_id, str) or kind not in QUERY_TYPES:
            raise InvalidRequestError(
                f"query {query_id!r} has type {kind!r}; expected an id and one of {QUERY_TYPES}"
            )
        judgments = data.get("judgments", {})
        if not isinstance(judgments, dict) or any(
            not isinstance(g, int) or g not in _GRADES for g in judgments.values()
        ):
            raise InvalidRequestError(
                f"query {query_id!r} has judgments {judgments!r}; expected product id -> 1..3"
            )
        return cls(
            id=query_id,
            type=cast(QueryType, kind),
            text=data.get("text"),
            image=data.get("image"),
            judgments=dict(judgments),
            source_id=data.get("source_id"),
        )


class _Collector:
    """Judgments of one query, bounded: at most ``limit`` ids kept per grade."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_grade: dict[int, list[str]] = {grade: [] for grade in _GRADES}

    def add(self, product_id: str, grade: int) -> None:
        ids = self.by_grade[grade]
        if len(ids) < self.limit:
            ids.append(product_id)

    def judgments(self) -> dict[str, int]:
        ranked = [(pid, grade) for grade in _GRADES for pid in self.by_grade[grade]]
        return dict(ranked[: self.limit])


def judge_queries(
    specs: Sequence[QuerySpec],
    truths: Iterable[ProductTruth],
    *,
    max_judgments: int = DEFAULT_MAX_JUDGMENTS,
) -> list[JudgedQuery]:
    """Grade every product against every planned query in one streaming pass.

    Args:
        specs: the planned queries.
        truths: the whole catalogue's truths, in catalogue order.
        max_judgments: the per-query cap on judgments (keeps 1M-product catalogues bounded).

    Returns:
        The judged queries, in the order of ``specs``.
    """
    by_category: dict[str, list[QuerySpec]] = defaultdict(list)
    for spec in specs:
        by_category[spec.category].append(spec)
    collectors = {spec.id: _Collector(max_judgments) for spec in specs}
    for truth in truths:
        for spec in by_category.get(truth.category, ()):
            grade = spec.grade(truth)
            if grade:
                collectors[spec.id].add(truth.id, grade)
    return [
        JudgedQuery(
            id=spec.id,
            type=spec.type,
            text=spec.text,
            image=spec.image,
            judgments=collectors[spec.id].judgments(),
            source_id=None if spec.source is None else spec.source.id,
        )
        for spec in specs
    ]


def write_queries(path: Path, queries: Iterable[JudgedQuery]) -> int:
    """Write queries as JSON lines; returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for query in queries:
            handle.write(json.dumps(query.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def load_queries(path: Path) -> list[JudgedQuery]:
    """Read a ``queries.jsonl`` file written by ``write_catalog``.

    Raises:
        InvalidRequestError: if a line is not JSON or not a valid judged query.
    """
    return [JudgedQuery.from_dict(data) for data in iter_json_objects(path, what="judged query")]
