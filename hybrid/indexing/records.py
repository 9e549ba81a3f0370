"""The product record that ingestion accepts (one line of a JSONL feed, or one API item)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hybrid.images import ImageRef
from hybrid.schema import CATEGORY_SEPARATOR

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
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    stock: int | None = Field(default=None, ge=0)
    in_stock: bool | None = None
    attributes: dict[
        AttributeName,
        AttributeValue | Annotated[list[AttributeValue], Field(max_length=MAX_ATTRIBUTE_VALUES)],
    ] = Field(default_factory=dict)
    images: list[ImageRef] = Field(default_factory=list, max_length=MAX_IMAGES)
    group_id: ProductId | None = None
    updated_at: datetime | None = None
    version: int | None = Field(default=None, ge=0)

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
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def external_version(self) -> int:
        """The version Elasticsearch compares (``version_type=external``).

        ``version`` if given, else ``updated_at`` in epoch milliseconds, else 1.
        """
        if self.version is not None:
            return self.version
        if self.updated_at is not None:
            return int(self.updated_at.timestamp() * 1000)
        return 1

    def category_path(self) -> list[str]:
        """Every prefix of the category path: ``["Footwear", "Footwear > Sneakers"]``."""
        if not self.category:
            return []
        parts = [part.strip() for part in self.category.split(">") if part.strip()]
        return [CATEGORY_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]
