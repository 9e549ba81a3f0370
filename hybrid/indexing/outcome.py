"""What happened to each record of a batch: indexed, stale, rejected (with a reason), retried."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from hybrid.indexing.records import ProductRecord

#: The stage of a lost image whose product was still indexed (a warning, not a reject).
PARTIAL: Final = "image_partial"
#: Longest message kept in a reject.
MAX_MESSAGE: Final = 2000


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
            "message": self.message,
            "attempts": attempts,
            "task_id": task_id,
            "time": datetime.now(UTC).isoformat(),
            "record": record,
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
