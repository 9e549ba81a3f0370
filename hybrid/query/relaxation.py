"""Relaxation: the filters to try, strict to loose, when understood filters leave too few hits.

The search service runs :func:`relaxation_steps` in order until a step fills the page and
records the dropped fields in ``understanding.relaxed``; the request's explicit filters are
never relaxed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final, NamedTuple

from hybrid.query.request import Filters
from hybrid.schema import CATEGORY_SEPARATOR

#: Relaxation drops understood filters in this order: colour first (labels are the least
#: reliable and shoppers accept another shade sooner than another kind of product), then
#: category, then a price read from the text, and brand last (a typed brand name is the most
#: deliberate). A step is only taken when the stricter one left too few hits, and the response
#: lists the relaxed fields.
RELAXATION_ORDER: Final[tuple[str, ...]] = ("colour_family", "category", "price", "brand")


class RelaxationStep(NamedTuple):
    """Filters to try, and the understood fields already dropped to get them."""

    filters: Filters
    dropped: tuple[str, ...]


def relaxation_steps(filters: Filters, added: Mapping[str, Sequence[str]]) -> list[RelaxationStep]:
    """Filters from strict to relaxed, dropping understood values in :data:`RELAXATION_ORDER`.

    An understood category below a top level is widened before it is dropped: first to the
    category above it, up to its top level ("Clothing > Dresses", then "Clothing", then none).
    A widened step records ``category`` as dropped, like the drop itself: what still meets the
    understood category is lifted ahead either way (:mod:`hybrid.query.tiers`).

    The executor tries each step until one returns enough hits, then records
    ``report.with_relaxed(step.dropped)``. The request's explicit filters are never dropped.

    Args:
        filters: the strict filters (from :func:`apply_understanding`).
        added: ``report.filters_added``: the understood values per Filters field.

    Returns:
        The strict filters first (``dropped == ()``), then one step per understood field, and
        before a category's, one per level above it that finds more.
    """
    steps = [RelaxationStep(filters, ())]
    current = filters
    dropped: tuple[str, ...] = ()
    for field in RELAXATION_ORDER:
        values = set(added.get(field, ()))
        if not values:
            continue
        if field == "price":  # a range, not a list: drop it whole
            current, dropped = current.model_copy(update={"price": None}), (*dropped, field)
            steps.append(RelaxationStep(current, dropped))
            continue
        kept = [value for value in getattr(current, field) if value not in values]
        if field == "category":  # leaf before nothing: Dresses, then Clothing, then any
            dropped = (*dropped, field)
            for wider in _widened(values, kept):
                steps.append(RelaxationStep(current.model_copy(update={field: wider}), dropped))
            current = current.model_copy(update={field: kept})
            steps.append(RelaxationStep(current, dropped))
            continue
        current, dropped = current.model_copy(update={field: kept}), (*dropped, field)
        steps.append(RelaxationStep(current, dropped))
    return steps


def ancestors(path: str) -> list[str]:
    """The categories above ``path``, nearest first: "A > B > C" -> ["A > B", "A"]."""
    parts = path.split(CATEGORY_SEPARATOR)
    return [CATEGORY_SEPARATOR.join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]


def _widened(values: Iterable[str], kept: list[str]) -> list[list[str]]:
    """The category filters a relaxation tries before dropping the understood ``values``: each
    understood path replaced by the category one level up, then two, ..., up to its top level
    (the request's own ``kept`` values stay as they are). An understood path under another of
    the same filter is left out, and a filter that finds what the one before found is not tried
    again ("Home > Kitchen > Mugs" with "Home > Bath": "Home" once). Empty for understood top
    levels."""
    levels = [[path, *ancestors(path)] for path in sorted(values)]
    steps: list[list[str]] = []
    previous = set(_broadest(chain[0] for chain in levels))
    for depth in range(1, max((len(chain) for chain in levels), default=1)):
        wider = _broadest(chain[min(depth, len(chain) - 1)] for chain in levels)
        if set(wider) != previous:
            steps.append(list(dict.fromkeys([*kept, *wider])))
        previous = set(wider)
    return steps


def _broadest(paths: Iterable[str]) -> list[str]:
    """``paths`` in order without repeats and without those under another of them."""
    unique = list(dict.fromkeys(paths))
    return [p for p in unique if not any(a in unique for a in ancestors(p))]
