"""The shapes of the API's answers, for OpenAPI and for clients.

The search response mirrors Elasticsearch's ``_search`` (see :mod:`hybrid.search.response`); the
models allow extra keys so that a field the executor adds later never breaks an answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hybrid.query.understanding import UnderstandingReport


class ErrorResponse(BaseModel):
    """Every error answer."""

    error: str = Field(description="A short machine-readable code, e.g. `invalid_filter`.")
    detail: str = Field(description="What was expected, what was found, and where.")
    reason: str | None = Field(
        default=None, description="For a rejected image: why, e.g. `unsupported_format`."
    )
    request_id: str | None = Field(
        default=None, description="The request's `X-Request-ID`: the server log's lines carry it."
    )


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Hit(_Open):
    """One product in the results."""

    index: str = Field(alias="_index")
    id: str = Field(alias="_id")
    score: float | None = Field(alias="_score")
    source: dict[str, Any] = Field(alias="_source", description="The product document.")
    explanation: dict[str, Any] | None = Field(
        default=None,
        alias="_explanation",
        description="With `explain`: each leg's rank and raw score, normalised and weighted "
        "contributions, bonus, filters applied and relaxed.",
    )


class Total(_Open):
    """How many products the fused list held (a lower bound: each leg retrieves a window)."""

    value: int
    relation: Literal["eq", "gte"]


class Hits(_Open):
    """The page of results."""

    total: Total
    max_score: float | None
    hits: list[Hit]


class FusionReport(_Open):
    """How the legs were fused, and how many hits each leg returned."""

    method: str
    legs: dict[str, int]


class SearchResponse(_Open):
    """A ``_search``-shaped answer."""

    took: int = Field(description="Milliseconds spent in the search executor.")
    timed_out: bool
    hits: Hits
    aggregations: dict[str, Any] | None = Field(
        default=None, description="Facets (colour family, category, brand, price ranges)."
    )
    understanding: UnderstandingReport
    fusion: FusionReport
    next_search_after: list[Any] | None = Field(
        default=None, description="Pass as `search_after` to fetch the next page."
    )


class ServiceHealth(BaseModel):
    """One backing service."""

    up: bool
    managed: bool = Field(description="True when it is the embedded local stack's service.")
    detail: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class HealthStatus(BaseModel):
    """``GET /health`` without the ``admin`` scope: the status only."""

    status: Literal["ok", "unavailable"]


class HealthResponse(BaseModel):
    """``GET /health``: 200 when both services answer, 503 otherwise (same body)."""

    status: Literal["ok", "unavailable"]
    elasticsearch: ServiceHealth
    redis: ServiceHealth


class RejectedRecord(BaseModel):
    """A record of a ``POST /products`` batch that failed validation (it was not enqueued)."""

    index: int = Field(description="Position in the submitted array.")
    id: str | None = Field(description="The record's `id`, when it has a readable one.")
    errors: list[str]


class IngestAccepted(BaseModel):
    """``POST /products``: the valid records were enqueued."""

    task_ids: list[str] = Field(description="One Celery task per batch of valid records.")
    accepted: int
    rejected: list[RejectedRecord]


class IngestRejected(BaseModel):
    """``POST /products`` when no record of the batch is valid (422)."""

    error: str
    detail: str
    rejected: list[RejectedRecord]
    request_id: str | None = None


class DeleteAccepted(BaseModel):
    """``DELETE /products/{id}``: the delete was enqueued."""

    task_id: str
    id: str
    version: int = Field(description="Deletes unless the index holds a newer version.")
