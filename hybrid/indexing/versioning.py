"""The versioning rule, checked against what the index holds before a batch is written.

Every product keeps one *kind* of version for life (``docs/versioning.md``):

* ``version`` - an explicit integer below 10^18, compared as given;
* ``updated_at`` - the record's time in epoch milliseconds;
* ``assigned`` - records with neither get a time in epoch nanoseconds when they are enqueued
  (:func:`hybrid.indexing.records.assign_versions`).

The kinds are not comparable (99 is "older" than any timestamp), so a record whose kind differs
from the stored document's is rejected (``version_kind_mismatch``) instead of being dropped as
stale or overwriting newer data. A record whose version is at most the stored one is ``stale``:
the rule runs before images are loaded or encoded (so a repeated feed costs one ``_mget`` a batch;
best effort, skipped when Elasticsearch cannot answer) and again right before the ``_bulk`` (an
outage costs each retry what it did before). An equal version with other content is
reported as a ``same_version`` warning, since the stored content is kept (an equal version
with equal content is a plain redelivery: stale, no warning).

Elasticsearch's own check (``version_type=external``) still decides at write time: this pre-read
only explains; a concurrent writer cannot make a stale record win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from hybrid import schema as f
from hybrid.indexing.documents import record_fields
from hybrid.indexing.outcome import Reject
from hybrid.indexing.records import ASSIGNED_FLOOR, ProductRecord, VersionKind
from hybrid.schema import UPDATED_AT

#: The stage of version rejects.
STAGE: Final = "version"
#: Every field :func:`record_fields` may write: what "the same content" compares.
RECORD_KEYS: Final = frozenset(
    {
        f.ID,
        f.GROUP_ID,
        f.TITLE,
        f.DESCRIPTION,
        f.BRAND,
        f.CATEGORY,
        f.CATEGORY_PATH,
        f.CATEGORY_TEXT,
        f.COLOUR,
        f.COLOUR_FAMILY,
        f.MATERIAL,
        f.PATTERN,
        f.PRICE,
        f.STOCK,
        f.IN_STOCK,
        f.ATTRIBUTES,
        f.IMAGES,
        f.UPDATED_AT,
    }
)


@dataclass(frozen=True)
class Stored:
    """What the index holds for one product: its external version and its document (vectors
    left out)."""

    version: int
    source: Mapping[str, Any] = field(default_factory=dict)

    def kind(self) -> VersionKind:
        """The kind of the stored version, told from its value and the document."""
        if self.version >= ASSIGNED_FLOOR:
            return "assigned"
        updated_at = self.source.get(UPDATED_AT)
        if isinstance(updated_at, str) and _epoch_ms(updated_at) == self.version:
            return "updated_at"
        return "version"

    def same_content(self, record: ProductRecord) -> bool:
        """True when ``record`` would index exactly what is stored (a plain redelivery)."""
        fields = record_fields(record)
        stored = {key: self.source[key] for key in RECORD_KEYS if key in self.source}
        return fields == stored


@dataclass
class Checked:
    """A batch sorted by the rule: what to write, what is stale, what is refused."""

    write: list[ProductRecord] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    notes: list[Reject] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def check_versions(records: Sequence[ProductRecord], stored: Mapping[str, Stored]) -> Checked:
    """Sort ``records`` against the ``stored`` versions of their products (absent: new)."""
    checked = Checked()
    for record in records:
        held = stored.get(record.id)
        if held is None:
            checked.write.append(record)
            continue
        version = record.external_version()
        if held.kind() != record.version_kind():
            checked.rejects.append(_mismatch(record, held))
        elif version > held.version:
            checked.write.append(record)
        else:
            checked.stale.append(record.id)
            if version == held.version and not held.same_content(record):
                checked.notes.append(_same_version(record.id, version))
    return checked


def _mismatch(record: ProductRecord, held: Stored) -> Reject:
    message = (
        f"product {record.id!r} is stored with a version of kind {held.kind()!r} "
        f"({held.version}); this record's is of kind {record.version_kind()!r} "
        f"({record.external_version()}). A product keeps one kind of version: send "
        f"{_advice(held.kind())}, or delete the product first (docs/versioning.md)"
    )
    return Reject(record.id, STAGE, "version_kind_mismatch", message)


def _advice(kind: VersionKind) -> str:
    return {
        "version": "an explicit 'version'",
        "updated_at": "'updated_at' without 'version'",
        "assigned": "neither 'version' nor 'updated_at'",
    }[kind]


def _same_version(product_id: str, version: int) -> Reject:
    message = (
        f"product {product_id!r} is already stored at version {version}; the stored content "
        "was kept (send a higher version to change it)"
    )
    return Reject(product_id, "stale", "same_version", message)


def _epoch_ms(text: str) -> int | None:
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError:
        return None
