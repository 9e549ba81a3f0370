"""Every record accounted for: enqueued = indexed + stale + rejected (+ missing, re-sent).

Per record (product id and external version), from what Elasticsearch holds, not from task
results (a task can fail to report although its products landed, or be redelivered):

- **indexed**: the index holds exactly this version;
- **stale**: the index holds a newer version (or the record repeats one already counted);
- **rejected**: the index holds nothing as new, and ``<alias>-rejects`` says why;
- **missing**: none of those: the record was lost or is still on its way. ``hybrid ingest
  reconcile`` sends the missing records again (``--dry-run`` only lists them).

:func:`classify` is pure; :func:`account` reads the index and the rejects and classifies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hybrid import es as es_ops


@dataclass
class Account:
    """Where each record of a feed or an ingest run ended up."""

    indexed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records accounted for (each record once)."""
        return len(self.indexed) + len(self.stale) + len(self.rejected) + len(self.missing)

    def as_dict(self) -> dict[str, Any]:
        """JSON for ``--json``: counts, rejects by reason, and the missing ids."""
        return {
            "records": self.total,
            "indexed": len(self.indexed),
            "stale": len(self.stale),
            "rejected": len(self.rejected),
            "rejected_by_reason": dict(Counter(self.rejected.values())),
            "missing": len(self.missing),
            "missing_ids": self.missing,
        }

    def line(self) -> str:
        """One line: ``2000 records = 1990 indexed + 4 stale + 6 rejected + 0 missing``."""
        return (
            f"{self.total} records = {len(self.indexed)} indexed + {len(self.stale)} stale + "
            f"{len(self.rejected)} rejected + {len(self.missing)} missing"
        )


def classify(
    expected: Sequence[tuple[str, int]], stored: dict[str, int], rejects: dict[str, str]
) -> Account:
    """Account for each ``(id, version)`` of ``expected`` (pure).

    Args:
        expected: the records, in feed order; an id may repeat (a later correction).
        stored: the version the index holds per id.
        rejects: ``stage:reason`` of the latest reject per id.
    """
    account = Account()
    counted: set[tuple[str, int]] = set()
    for product_id, version in expected:
        held = stored.get(product_id)
        if (product_id, version) in counted or (held is not None and held > version):
            account.stale.append(product_id)
        elif held == version:
            account.indexed.append(product_id)
        elif product_id in rejects:
            account.rejected[product_id] = rejects[product_id]
        else:
            account.missing.append(product_id)
        counted.add((product_id, version))
    return account


def account(
    client: es_ops.Client,
    alias: str,
    expected: Sequence[tuple[str, int]],
    *,
    since: str | None = None,
) -> Account:
    """Read what ``alias`` and its rejects hold for ``expected`` and classify it.

    Args:
        since: count only rejects written from this ISO time on (one run's own).

    Raises:
        SearchUnavailableError: Elasticsearch cannot be read now.
    """
    ids = [product_id for product_id, _ in expected]
    stored = es_ops.stored_versions(client, alias, ids)
    unsettled = [i for i, v in expected if stored.get(i, -1) < v]
    rejects = es_ops.rejects_by_product(client, alias, unsettled, since=since) if unsettled else {}
    return classify(expected, stored, rejects)
