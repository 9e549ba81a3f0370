"""The product record that ingestion accepts (one line of a JSONL feed, or one API item)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from hybrid.images import ImageRef
from hybrid.schema import CATEGORY_SEPARATOR
from hybrid.validation import json_problem

ProductId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256, pattern=r"^\S+$")
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]
AttributeValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]

MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_VALUES = 50
MAX_IMAGES = 8
# Elasticsearch refuses an _id longer than 512 bytes; 256 characters of UTF-8 can exceed that.
MAX_ID_BYTES = 512
#: Explicit versions are below this; from it on, a version is a time in epoch nanoseconds (what
#: :func:`hybrid.indexing.versioning.assign_versions` gives records without a version).
ASSIGNED_FLOOR: Final = 10**18
#: How far in the future ``updated_at`` (or an assigned version) may be: clock skew, not more.
MAX_FUTURE: Final = timedelta(days=1)
#: The earliest ``updated_at``: Elasticsearch refuses negative versions (epoch milliseconds).
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

#: Where a record's external version comes from (docs/versioning.md).
VersionKind = Literal["version", "updated_at", "assigned"]


class ProductRecord(BaseModel):
    """One product as a shop's feed describes it.

    ``id`` becomes the document ``_id``; ``version`` (or else ``updated_at`` in milliseconds)
    becomes its external version, so a stale redelivery never overwrites newer data.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ProductId
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""
    brand: ShortText | None = None
    category: ShortText | None = Field(default=None, description='e.g. "Footwear > Sneakers"')
    colour: ShortText | None = None
    material: ShortText | None = None
    pattern: ShortText | None = None
    # Strict: "12.5" is refused, not coerced (a feed that quotes numbers has other mistakes).
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False, strict=True)
    # The mapping's "integer": a larger stock would fail in Elasticsearch, not here.
    stock: int | None = Field(default=None, ge=0, le=2**31 - 1, strict=True)
    in_stock: bool | None = Field(default=None, strict=True)
    attributes: dict[
        AttributeName,
        AttributeValue | Annotated[list[AttributeValue], Field(max_length=MAX_ATTRIBUTE_VALUES)],
    ] = Field(default_factory=dict)
    images: list[ImageRef] = Field(default_factory=list, max_length=MAX_IMAGES)
    group_id: ProductId | None = None
    updated_at: datetime | None = None
    version: int | None = Field(default=None, ge=0, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        # Before any field is looked at: a 500-deep or 50 MB record fails here, cheaply. Floats
        # are left to the fields, which refuse NaN and infinities and say where.
        problem = json_problem(value, finite=False) if isinstance(value, dict) else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("id", "group_id")
    @classmethod
    def _id_fits_elasticsearch(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > MAX_ID_BYTES:
            raise ValueError(
                f"at most {MAX_ID_BYTES} bytes of UTF-8, got {len(value.encode())} bytes"
            )
        return value

    @field_validator("attributes")
    @classmethod
    def _bounded_attributes(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES} attributes, got {len(value)}")
        return value

    @field_validator("updated_at")
    @classmethod
    def _aware_and_in_range(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        latest = datetime.now(UTC) + MAX_FUTURE
        if not EPOCH <= value <= latest:
            raise ValueError(
                f"expected a time from {EPOCH.isoformat()} to now + {MAX_FUTURE.days} day "
                f"({latest.isoformat(timespec='seconds')}); found {value.isoformat()}"
            )
        return value

    @field_validator("version")
    @classmethod
    def _version_in_range(cls, value: int | None) -> int | None:
        if value is None or value < ASSIGNED_FLOOR:
            return value
        latest = int((datetime.now(UTC) + MAX_FUTURE).timestamp()) * 10**9
        if value > latest:
            raise ValueError(
                f"expected below 10^18, or an assigned version (epoch nanoseconds) up to now + "
                f"{MAX_FUTURE.days} day ({latest}); found {value}"
            )
        return value

    def version_kind(self) -> VersionKind:
        """Where :meth:`external_version` comes from; see ``docs/versioning.md``."""
        if self.version is not None:
            return "assigned" if self.version >= ASSIGNED_FLOOR else "version"
        return "updated_at" if self.updated_at is not None else "assigned"

    def external_version(self) -> int:
        """The version Elasticsearch compares (``version_type=external``).

        ``version`` if given, else ``updated_at`` in epoch milliseconds. A record with neither
        gets a version when it is enqueued (:func:`hybrid.indexing.versioning.assign_versions`);
        one that reaches a writer without it gets the time of writing, so it still wins over
        what came before it.
        """
        if self.version is not None:
            return self.version
        if self.updated_at is not None:
            return int(self.updated_at.timestamp() * 1000)
        return next_assigned_version()

    def category_path(self) -> list[str]:
        """Every prefix of the category path: ``["Footwear", "Footwear > Sneakers"]``."""
        if not self.category:
            return []
        parts = [part.strip() for part in self.category.split(">") if part.strip()]
        return [CATEGORY_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


_clock_lock = threading.Lock()
_last_assigned = 0


def next_assigned_version() -> int:
    """Now in epoch nanoseconds, strictly above every version this process assigned before.

    Wall-clock time, so versions from different producers order as their submissions did (to
    the precision of their clocks); strictly increasing, so two records of one process never
    tie even within one clock tick.
    """
    global _last_assigned  # noqa: PLW0603 - one counter per process, guarded by the lock
    with _clock_lock:
        _last_assigned = max(time.time_ns(), _last_assigned + 1)
        return _last_assigned


def assign_versions(records: Sequence[ProductRecord]) -> list[ProductRecord]:
    """``records``, each without ``version`` and ``updated_at`` given an assigned version.

    Producers call it when they enqueue, so a later correction of a product carries a higher
    version than the record it corrects, and wins (docs/versioning.md).
    """
    return [
        record.model_copy(update={"version": next_assigned_version()})
        if record.version is None and record.updated_at is None
        else record
        for record in records
    ]
