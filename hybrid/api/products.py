"""``POST /products`` (enqueue a batch), ``GET /products/{id}``, ``DELETE /products/{id}``.

Writes go through the Celery workers, like ``hybrid ingest``: the API validates the records,
answers at once with the task ids, and never touches the model. Records that fail validation
are reported in the answer (index, id, errors) and not enqueued.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from hybrid.api.auth import SEARCH, WRITE
from hybrid.api.errors import ERROR_RESPONSES
from hybrid.api.limits import MAX_BATCH, json_type, loads_strict, read_json_body
from hybrid.api.models import DeleteAccepted, IngestAccepted, IngestRejected, RejectedRecord
from hybrid.api.openapi import json_body, schema_ref
from hybrid.api.requestid import current_request_id
from hybrid.api.state import ApiState, get_state
from hybrid.errors import (
    ElasticsearchRefusedError,
    InvalidRequestError,
    ProductNotFoundError,
    SearchUnavailableError,
)
from hybrid.indexing.records import ProductRecord, next_assigned_version
from hybrid.settings import Settings
from hybrid.validation import problems

if TYPE_CHECKING:
    from celery import Celery

router = APIRouter(tags=["products"])
State = Annotated[ApiState, Depends(get_state)]
ProductIdPath = Annotated[
    str, Path(min_length=1, max_length=256, pattern=r"^\S+$", description="The product id.")
]
#: Elasticsearch's largest external version.
MAX_VERSION: Final = 2**63 - 1

_BATCH_BODY = json_body(
    {"type": "array", "items": schema_ref(ProductRecord), "minItems": 1, "maxItems": MAX_BATCH},
    description=f"1 to {MAX_BATCH} product records (the lines of a JSONL feed, as an array).",
)


@router.post(
    "/products",
    status_code=202,
    response_model=IngestAccepted,
    responses={
        **ERROR_RESPONSES,
        422: {"model": IngestRejected, "description": "No valid record."},
    },
    dependencies=[WRITE],
    openapi_extra=_BATCH_BODY,
    summary="Validate a batch of products and enqueue it for indexing",
)
async def add_products(request: Request, state: State) -> Any:
    """Validate every record; enqueue the valid ones in batches of ``ingest_batch_size``."""
    items = parse_batch(await read_json_body(request))
    valid, rejected = validate_batch(items)
    if not valid:
        body = IngestRejected(
            error="invalid_request",
            detail=f"none of the {len(rejected)} records is valid; first: {rejected[0].errors[0]}",
            rejected=rejected,
            request_id=current_request_id(),
        )
        return JSONResponse(body.model_dump(), status_code=422)

    def enqueue() -> list[str]:
        # The producers' one rule: invalid records go to the rejects index, never to a worker.
        dead_letter_rejected(state.settings, items, rejected)
        return enqueue_batches(state.celery(), state.settings, valid)

    task_ids = await state.run_blocking(enqueue, what="enqueueing the batch")
    return IngestAccepted(task_ids=task_ids, accepted=len(valid), rejected=rejected)


@router.get(
    "/products/{product_id:path}",
    responses={404: {"description": "No such product."}, **ERROR_RESPONSES},
    dependencies=[SEARCH],
    summary="The stored document of one product (vectors left out)",
)
async def get_product(product_id: ProductIdPath, state: State) -> dict[str, Any]:
    """Read one product document from the index."""

    def fetch() -> dict[str, Any] | None:
        return fetch_product(state.settings, product_id)

    document = await state.run_blocking(fetch, what=f"reading product {product_id!r}")
    if document is None:
        raise ProductNotFoundError(
            f"product {product_id!r} is not in index {state.settings.index_alias!r}"
        )
    return document


@router.delete(
    "/products/{product_id:path}",
    status_code=202,
    response_model=DeleteAccepted,
    responses=ERROR_RESPONSES,
    dependencies=[WRITE],
    summary="Enqueue the deletion of one product",
)
async def delete_product(
    product_id: ProductIdPath,
    state: State,
    version: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_VERSION,
            description="Delete unless the index holds a newer version; "
            "default: now in epoch nanoseconds, above every version stored before "
            "(docs/versioning.md).",
        ),
    ] = None,
) -> DeleteAccepted:
    """Enqueue a delete task; a newer version already in the index survives it."""
    # Now, as the versions assigned at enqueue are: above any explicit version, any updated_at
    # and any product ingested before, so a delete without a version always takes effect.
    effective = next_assigned_version() if version is None else version

    def enqueue() -> str:
        from hybrid.indexing.queue import enqueue_delete

        with _queue_errors():
            return enqueue_delete(state.celery(), state.settings, product_id, effective)

    task_id = await state.run_blocking(enqueue, what="enqueueing the delete")
    return DeleteAccepted(task_id=task_id, id=product_id, version=effective)


# --- plain steps ---------------------------------------------------------------------------


def parse_batch(raw: bytes) -> list[Any]:
    """The decoded batch: a JSON array of 1 to :data:`MAX_BATCH` items.

    Raises:
        InvalidRequestError: not strict JSON, not an array, empty or too long.
    """
    if not raw.strip():
        raise InvalidRequestError("product batch is empty; expected a JSON array of records")
    items = loads_strict(raw, what="product batch")
    if not isinstance(items, list):
        raise InvalidRequestError(
            f"product batch must be a JSON array of records; found {json_type(items)}"
        )
    if not 1 <= len(items) <= MAX_BATCH:
        raise InvalidRequestError(
            f"product batch has {len(items)} records; expected 1 to {MAX_BATCH}"
        )
    return items


def validate_batch(items: Sequence[Any]) -> tuple[list[ProductRecord], list[RejectedRecord]]:
    """Split ``items`` into valid records and readable rejections (by position)."""
    valid: list[ProductRecord] = []
    rejected: list[RejectedRecord] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors = [f"expected a JSON object; found {json_type(item)}"]
            rejected.append(RejectedRecord(index=index, id=None, errors=errors))
            continue
        try:
            valid.append(ProductRecord.model_validate(item))
        except ValidationError as exc:
            raw_id = item.get("id")
            rejected.append(
                RejectedRecord(
                    index=index,
                    id=raw_id if isinstance(raw_id, str) else None,
                    errors=problems(exc.errors(include_url=False), subject="record"),
                )
            )
    return valid, rejected


def enqueue_batches(app: Celery, settings: Settings, records: Sequence[ProductRecord]) -> list[str]:
    """Send ``records`` in batches of ``settings.ingest_batch_size``; return the task ids.

    Raises:
        SearchUnavailableError: Redis cannot be reached.
    """
    from hybrid.indexing.producer import enqueue_records

    with _queue_errors():
        return enqueue_records(app, settings, records)


def dead_letter_rejected(
    settings: Settings, items: Sequence[Any], rejected: Sequence[RejectedRecord]
) -> None:
    """Write the invalid records of a batch to ``<alias>-rejects``, each with its reasons."""
    from hybrid import es as es_ops
    from hybrid.indexing.outcome import Reject
    from hybrid.indexing.pipeline import dead_letter_invalid

    invalid = [
        (
            items[r.index] if isinstance(items[r.index], dict) else {},
            Reject(r.id or "<no id>", "validate", "invalid_record", "; ".join(r.errors)),
        )
        for r in rejected
    ]
    dead_letter_invalid(es_ops.make_client(settings), settings.index_alias, invalid)


@contextmanager
def _queue_errors(context: str = "") -> Iterator[None]:
    """Turn a broker failure into :class:`SearchUnavailableError`."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    try:
        yield
    # Celery's Redis result backend raises a bare RuntimeError ("Retry limit exceeded while
    # trying to reconnect to the Celery result store backend") when it cannot subscribe.
    except (OperationalError, RedisError, OSError, RuntimeError) as exc:
        found = "it did not answer" if isinstance(exc, RuntimeError) else " ".join(str(exc).split())
        raise SearchUnavailableError(
            f"the ingestion queue (Redis) is unavailable: {found}{context}"
        ) from exc


def fetch_product(settings: Settings, product_id: str) -> dict[str, Any] | None:
    """The stored document of ``product_id``, or None.

    Raises:
        SearchUnavailableError: Elasticsearch cannot be reached or failed.
        InvalidRequestError: Elasticsearch refused the id (400).
    """
    from hybrid import es as es_ops

    try:
        return es_ops.get_product(es_ops.make_client(settings), settings.index_alias, product_id)
    except ElasticsearchRefusedError as exc:
        if exc.status == 400:  # the id itself is what Elasticsearch could not take
            raise InvalidRequestError(f"product id {product_id!r} is not a valid id") from exc
        raise
