"""What happened to each record of a batch: indexed, stale, rejected (with a reason), retried."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from hybrid.indexing.records import ProductRecord

#: The stage of a lost image whose product was still indexed (a warning, not a reject).
PARTIAL: Final = "image_partial"
#: Longest message kept in a reject.
MAX_MESSAGE: Final = 2000
#: The raw record kept beside a reject: nesting, string length and values, bounded.
KEPT_DEPTH: Final = 6
KEPT_STRING: Final = 2000
KEPT_VALUES: Final = 2000
KEPT_ITEMS: Final = 100


@dataclass
class Reject:
    """Why one product (or one of its images) was not indexed."""

    product_id: str
    stage: str
    reason: str
    message: str

    def row(self) -> dict[str, str]:
        """The reject as it appears in batch summaries."""
        return {
            "id": self.product_id,
            "stage": self.stage,
            "reason": self.reason,
            "message": self.message,
        }

    def document(
        self, *, attempts: int, task_id: str | None, record: dict[str, Any]
    ) -> dict[str, Any]:
        """The dead-letter document for ``<alias>-rejects``."""
        return {
            "product_id": self.product_id,
            "stage": self.stage,
            "reason": self.reason,
            "message": self.message[:MAX_MESSAGE],
            "attempts": attempts,
            "task_id": task_id,
            "time": datetime.now(UTC).isoformat(),
            "record": bounded_copy(record),
        }


@dataclass
class BatchSummary:
    """A small JSON-able account of one batch.

    ``rejected`` products were not indexed; ``warnings`` are images lost by products that were.
    """

    indexed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)

    def add_rejects(self, rejects: Sequence[Reject]) -> None:
        """File each reject under ``rejected`` or, for a lost image only, ``warnings``."""
        for reject in rejects:
            (self.warnings if reject.stage == PARTIAL else self.rejected).append(reject.row())

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON types."""
        return {
            "indexed": self.indexed,
            "stale": self.stale,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "retry": self.retry,
        }


def record_for_rejects(record: ProductRecord | None) -> dict[str, Any]:
    """The record as stored beside its reject, without inline image bytes (kept small)."""
    if record is None:
        return {}
    data: dict[str, Any] = record.model_dump(mode="json", exclude_none=True)
    for image in data.get("images", []):
        if image.get("data"):
            image["data"] = f"<{len(image['data'])} base64 chars>"
    return data


def bounded_copy(value: Any) -> Any:
    """A JSON-safe copy of ``value`` Elasticsearch will store whatever came in.

    Without recursion: containers deeper than :data:`KEPT_DEPTH` become a note, strings are cut
    at :data:`KEPT_STRING` characters, NaN and infinities become strings, and after
    :data:`KEPT_VALUES` values the rest is left out. A record that was refused for being
    unbounded is still kept, trimmed, for whoever fixes and replays it.
    """
    root: list[Any] = [None]
    budget = KEPT_VALUES
    # Breadth first (the top-level fields are kept before deep details): (value, the container
    # to put its copy in, the key or index there, depth).
    queue: deque[tuple[Any, Any, Any, int]] = deque([(value, root, 0, 0)])
    while queue:
        item, parent, key, depth = queue.popleft()
        budget -= 1
        if budget < 0:
            parent[key] = "<left out: too many values>"
        elif isinstance(item, dict | list | tuple) and depth >= KEPT_DEPTH:
            parent[key] = f"<{type(item).__name__} nested more than {KEPT_DEPTH} deep>"
        elif isinstance(item, dict):
            pairs = [
                (_storable(str(k))[:KEPT_STRING], v) for k, v in list(item.items())[:KEPT_ITEMS]
            ]
            parent[key] = mapping = dict.fromkeys(k for k, _ in pairs)
            queue += [(v, mapping, k, depth + 1) for k, v in pairs]
            if len(item) > KEPT_ITEMS:
                mapping["<left out>"] = f"{len(item) - KEPT_ITEMS} more keys"
        elif isinstance(item, list | tuple):
            kept = list(item[:KEPT_ITEMS])
            items: list[Any] = [None] * len(kept)
            parent[key] = items
            queue += [(v, items, i, depth + 1) for i, v in enumerate(kept)]
            if len(item) > KEPT_ITEMS:
                items.append(f"<{len(item) - KEPT_ITEMS} more items left out>")
        else:
            parent[key] = _scalar(item)
    return root[0]


def _storable(text: str) -> str:
    """``text`` with any lone surrogate replaced: it has no UTF-8, so Elasticsearch would refuse
    the reject that keeps it."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _scalar(item: Any) -> Any:
    if isinstance(item, float) and not math.isfinite(item):
        return str(item)
    if item is None or isinstance(item, bool | int | float):
        return item
    text = _storable(item if isinstance(item, str) else repr(item))
    if len(text) > KEPT_STRING:
        return f"{text[:KEPT_STRING]}<... {len(text) - KEPT_STRING} more characters>"
    return text
