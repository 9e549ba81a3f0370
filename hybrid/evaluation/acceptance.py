"""The acceptance checks of the query issue, computed from per-query scores.

Each check compares two modes on the *same* queries (paired): BM25 cannot run pure image
queries, so "hybrid beats BM25" is measured on the queries with text, and "hybrid beats kNN" on
every query. The checks:

* ``hybrid > bm25``, ``hybrid > knn`` and ``hybrid > knn_text`` on nDCG@10, for each plain
  hybrid mode;
* ``hybrid+qu > hybrid`` on nDCG@10, over colour-synonym queries and over all text queries;
* image+text colour honour (``colour@10``) >= 0.9 for each hybrid mode.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from hybrid.evaluation import metrics
from hybrid.evaluation.scoring import QueryScores

COLOUR_HONOUR_TARGET: Final = 0.9
_TEXT_TYPES: Final = ("text", "colour_synonym", "image_text")
#: The single-leg modes every plain hybrid mode must beat, with their names in the report.
_SINGLE_LEG_BASELINES: Final = (("bm25", "BM25"), ("knn", "kNN"), ("knn_text", "kNN text"))


@dataclass(frozen=True)
class Check:
    """One acceptance check: ``value`` of ``mode`` against ``baseline`` (a mode or a target)."""

    name: str
    mode: str
    baseline: str
    value: float
    reference: float
    queries: int

    @property
    def passed(self) -> bool:
        """Strictly better than the baseline mode; at least the target for a fixed target."""
        if self.baseline.startswith(">="):
            return self.value >= self.reference
        return self.value > self.reference


def paired(
    scores: Iterable[QueryScores],
    mode: str,
    baseline: str,
    metric: str,
    *,
    kinds: Collection[str] | None = None,
) -> tuple[float, float, int] | None:
    """Means of ``metric`` for ``mode`` and ``baseline`` over the queries both scored.

    Returns:
        ``(mode mean, baseline mean, queries)``, or None when no query has both.
    """
    by_mode: dict[str, dict[str, float]] = {mode: {}, baseline: {}}
    wanted = [
        s
        for s in scores
        if s.mode in by_mode and metric in s.values and (kinds is None or s.query_type in kinds)
    ]
    for score in wanted:
        by_mode[score.mode][score.query_id] = score.values[metric]
    common = sorted(set(by_mode[mode]) & set(by_mode[baseline]))
    if not common:
        return None
    a = metrics.mean([by_mode[mode][q] for q in common])
    b = metrics.mean([by_mode[baseline][q] for q in common])
    assert a is not None and b is not None  # common is not empty
    return a, b, len(common)


def _compare(
    scores: Sequence[QueryScores],
    name: str,
    mode: str,
    baseline: str,
    *,
    kinds: Collection[str] | None = None,
    metric: str = "ndcg@10",
) -> list[Check]:
    found = paired(scores, mode, baseline, metric, kinds=kinds)
    if found is None:
        return []
    value, reference, count = found
    return [Check(name, mode, baseline, value, reference, count)]


def _honour(scores: Sequence[QueryScores], mode: str) -> list[Check]:
    values = [
        s.values["colour@10"]
        for s in scores
        if s.mode == mode and s.query_type == "image_text" and "colour@10" in s.values
    ]
    average = metrics.mean(values)
    if average is None:
        return []
    target = f">= {COLOUR_HONOUR_TARGET}"
    return [Check("image+text colour@10", mode, target, average, COLOUR_HONOUR_TARGET, len(values))]


def acceptance(scores: Sequence[QueryScores], modes: Sequence[str]) -> list[Check]:
    """Every check the modes that ran allow (a check needs both of its modes)."""
    checks: list[Check] = []
    plain = [m for m in modes if m.startswith("hybrid") and "+qu" not in m]
    for mode in plain:
        for baseline, name in _SINGLE_LEG_BASELINES:
            checks += _compare(scores, f"nDCG@10 vs {name}", mode, baseline)
    for mode in modes:
        base, plus, _ = mode.partition("+qu")
        if not plus or base not in modes:
            continue
        checks += _compare(scores, "nDCG@10 colour syn.", mode, base, kinds=("colour_synonym",))
        checks += _compare(scores, "nDCG@10 text queries", mode, base, kinds=_TEXT_TYPES)
    for mode in modes:
        if mode.startswith("hybrid"):
            checks += _honour(scores, mode)
    return checks
