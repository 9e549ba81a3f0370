"""Ingestion: product records -> safe images -> CLIP vectors -> one document per product.

Plain functions and one small class; the Celery tasks in ``workers`` and ``hybrid ingest
--inline`` both call :meth:`Ingestor.process`. A batch never sinks because of one product: a
product whose images all fail, whose encoding fails, or that Elasticsearch refuses, becomes a
dead-letter document in ``<alias>-rejects`` with its stage and reason, and the rest are indexed.
A product that loses only some of its images is indexed and the lost images are dead-lettered as
``image_partial`` warnings. Transient failures (image fetch timeouts, 429/5xx items) come back as
``retry`` so the caller can try them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from PIL.Image import Image
from pydantic import ValidationError

from hybrid import es as es_ops
from hybrid.colour import dominant_colour, family_of_label
from hybrid.embedding import Embedder, get_embedder
from hybrid.errors import EmbeddingError, ImageRejectedError
from hybrid.images import ImageLimits, is_transient, load_image
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import VectorSpec, check_meta, mapping_version
from hybrid.schema import CATEGORY_SEPARATOR
from hybrid.settings import Settings

#: Key a feed reader sets on a line that is not JSON; the record is then rejected as such.
PARSE_ERROR_KEY = "_parse_error"
_PARTIAL = "image_partial"  # the stage of a lost image whose product was still indexed
_MAX_MESSAGE = 2000


@dataclass
class Reject:
    """Why one product (or one of its images) was not indexed."""

    product_id: str
    stage: str
    reason: str
    message: str

    def row(self) -> dict[str, str]:
        """The reject as it appears in batch summaries."""
        return {"id": self.product_id, "stage": self.stage, "reason": self.reason,
                "message": self.message}  # fmt: skip

    def document(
        self, *, attempts: int, task_id: str | None, record: dict[str, Any]
    ) -> dict[str, Any]:
        """The dead-letter document for ``<alias>-rejects``."""
        return {
            "product_id": self.product_id, "stage": self.stage, "reason": self.reason,
            "message": self.message, "attempts": attempts, "task_id": task_id,
            "time": datetime.now(UTC).isoformat(), "record": record,
        }  # fmt: skip


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
            (self.warnings if reject.stage == _PARTIAL else self.rejected).append(reject.row())

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON types."""
        return {"indexed": self.indexed, "stale": self.stale, "rejected": self.rejected,
                "warnings": self.warnings, "retry": self.retry}  # fmt: skip


@dataclass
class _Loaded:
    record: ProductRecord
    images: list[Image]


def embedding_text(record: ProductRecord) -> str:
    """The text CLIP embeds for ``text_vector``: title, colour and the category's leaf."""
    parts = [record.title]
    if record.colour:
        parts.append(record.colour)
    if record.category:
        parts.append(record.category.split(">")[-1].strip())
    return " ".join(part for part in parts if part)


def build_document(
    record: ProductRecord,
    image_vector: np.ndarray | None,
    text_vector: np.ndarray,
    *,
    image_colour: tuple[str, tuple[int, int, int]] | None,
    model_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The Elasticsearch document for ``record`` (pure; fields as in docs/architecture.md).

    Fields without a value are left out rather than stored as null or empty.
    """
    path = record.category_path()
    doc: dict[str, Any] = {
        "id": record.id, "group_id": record.group_id or record.id, "title": record.title,
        "description": record.description, "brand": record.brand, "category": record.category,
        "category_path": path,
        "category_text": " ".join(path[-1].split(CATEGORY_SEPARATOR)) if path else None,
        "colour": record.colour, "colour_family": family_of_label(record.colour),
        "material": record.material, "pattern": record.pattern, "price": record.price,
        "stock": record.stock, "in_stock": _in_stock(record), "attributes": record.attributes,
        "images": [ref.path or ref.url or "<bytes>" for ref in record.images],
        "text_vector": text_vector.tolist(), "model_id": model_id,
        "mapping_version": mapping_version(),
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "indexed_at": now.isoformat(),
    }  # fmt: skip
    if image_vector is not None:
        doc["image_vector"] = image_vector.tolist()
    if image_colour is not None:
        doc["image_colour_family"], rgb = image_colour
        doc["image_colour_rgb"] = "#{:02x}{:02x}{:02x}".format(*rgb)
    return {key: value for key, value in doc.items() if value not in (None, "", [], {})}


def _in_stock(record: ProductRecord) -> bool | None:
    if record.in_stock is not None:
        return record.in_stock
    return None if record.stock is None else record.stock > 0


def mean_image_vector(vectors: np.ndarray) -> np.ndarray:
    """One vector for a product's images: their mean, L2-normalised again."""
    mean: np.ndarray = vectors.mean(axis=0).astype(np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


class Ingestor:
    """Processes batches of records; holds the model and client for the life of a process.

    Args:
        settings: the alias (documents and ``<alias>-rejects``), image limits, the model.
        embedder: the model; default the process-wide one for ``settings``.
        client: the Elasticsearch client; default the process-wide one for ``settings``.
        write_index: write documents into this existing physical index instead of through the
            alias (``hybrid index migrate`` fills a new index before the alias moves to it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        client: es_ops.Client | None = None,
        write_index: str | None = None,
    ) -> None:
        self.settings = settings
        self.alias = settings.index_alias
        self.write_index = write_index
        self.embedder: Embedder = embedder or get_embedder(settings)
        self.client = client or es_ops.make_client(settings)
        self.limits = ImageLimits.from_settings(settings)
        self._index_ready = False

    def spec(self) -> VectorSpec:
        """The vectors this ingestor writes."""
        return VectorSpec(
            model_id=self.embedder.model_id,
            dims=self.embedder.dims,
            normalised=self.embedder.normalised,
            index_type=self.settings.vector_index_type,
        )

    def ensure_index(self) -> str:
        """Create the index behind the alias if needed; refuse a mismatched model.

        Returns:
            The physical index documents go to.

        Raises:
            SearchUnavailableError: Elasticsearch cannot serve the request now (transient).
            ConfigurationError: the index holds vectors of another model (permanent).
        """
        spec = self.spec()
        if self.write_index is None:
            index = es_ops.ensure_index(self.client, self.alias, spec)
        else:
            index = self.write_index
            check_meta(index, es_ops.index_meta(self.client, index), spec)
        self._index_ready = True
        return index

    def process(
        self, records: Sequence[ProductRecord], *, attempt: int = 1, final: bool = True,
        task_id: str | None = None,
    ) -> BatchSummary:  # fmt: skip
        """Load images, embed, bulk-write; dead-letter permanent failures.

        Args:
            records: the batch.
            attempt: which attempt this is (recorded in rejects).
            final: when True, transient failures are dead-lettered too (no retry follows).
            task_id: the Celery task id, recorded in rejects.

        Raises:
            SearchUnavailableError: Elasticsearch could not take the batch; nothing was lost
                and the whole batch can be retried (writes are idempotent).
        """
        self._ready()
        summary = BatchSummary()
        rejects: list[Reject] = []
        loaded = [item for r in records if (item := self._load(r, rejects, summary, final))]
        documents = self._embed(loaded, rejects)
        outcome = es_ops.bulk_write(self.client, self.write_index or self.alias, documents)
        summary.indexed += outcome.indexed
        summary.stale += outcome.stale
        rejects += [_refused(failure) for failure in outcome.failed]
        _retry_or_reject(outcome.retryable, summary, rejects, final=final)
        self._dead_letter(rejects, records, attempt=attempt, task_id=task_id)
        summary.add_rejects(rejects)
        return summary

    def dead_letter_invalid(
        self, invalid: Sequence[tuple[dict[str, Any], Reject]], *, task_id: str | None = None
    ) -> None:
        """Write records that failed validation to ``<alias>-rejects`` (the raw record kept)."""
        if not invalid:
            return
        self._ready()  # the rejects index must be created from its template, not dynamically
        documents = [
            reject.document(attempts=1, task_id=task_id, record=raw) for raw, reject in invalid
        ]
        es_ops.write_rejects(self.client, self.alias, documents)

    def _ready(self) -> None:
        if not self._index_ready:
            self.ensure_index()

    def _load(
        self, record: ProductRecord, rejects: list[Reject], summary: BatchSummary, final: bool
    ) -> _Loaded | None:
        images: list[Image] = []
        problems: list[ImageRejectedError] = []
        for ref in record.images:
            try:
                images.append(
                    load_image(ref, root=self.settings.image_root, limits=self.limits,
                               product_id=record.id)
                )  # fmt: skip
            except ImageRejectedError as exc:
                problems.append(exc)
        if record.images and not images:  # every image failed: the product cannot be indexed
            if any(is_transient(p) for p in problems) and not final:
                summary.retry.append(record.id)
                return None
            first = problems[0]
            rejects.append(Reject(record.id, "image", first.reason, str(first)))
            return None
        rejects += [Reject(record.id, _PARTIAL, p.reason, str(p)) for p in problems]
        return _Loaded(record, images)

    def _embed(
        self, loaded: Sequence[_Loaded], rejects: list[Reject]
    ) -> list[tuple[str, int, dict[str, Any]]]:
        try:
            return self._documents(loaded)
        except EmbeddingError as exc:  # the model is loaded (spec() did that): these inputs fail
            message = str(exc)[:_MAX_MESSAGE]
            rejects += [Reject(i.record.id, "embed", "embedding_failed", message) for i in loaded]
            return []

    def _documents(self, loaded: Sequence[_Loaded]) -> list[tuple[str, int, dict[str, Any]]]:
        if not loaded:
            return []
        flat = [image for item in loaded for image in item.images]
        image_vectors = self.embedder.encode_images(flat)
        text_vectors = self.embedder.encode_texts([embedding_text(i.record) for i in loaded])
        now = datetime.now(UTC)
        documents, offset = [], 0
        for row, item in enumerate(loaded):
            count = len(item.images)
            vector = mean_image_vector(image_vectors[offset : offset + count]) if count else None
            colour = dominant_colour(item.images[0]) if count else None
            offset += count
            doc = build_document(
                item.record, vector, text_vectors[row], model_id=self.embedder.model_id, now=now,
                image_colour=(colour.family, colour.rgb) if colour else None,
            )  # fmt: skip
            documents.append((item.record.id, item.record.external_version(), doc))
        return documents

    def _dead_letter(
        self, rejects: Sequence[Reject], records: Sequence[ProductRecord], *, attempt: int,
        task_id: str | None,
    ) -> None:  # fmt: skip
        by_id = {record.id: record for record in records}
        documents = [
            reject.document(attempts=attempt, task_id=task_id,
                            record=_record_for_rejects(by_id.get(reject.product_id)))
            for reject in rejects
        ]  # fmt: skip
        es_ops.write_rejects(self.client, self.alias, documents)


def _refused(failure: dict[str, Any]) -> Reject:
    """A reject for a document Elasticsearch refused for good (a 400 such as a mapping error)."""
    error = failure["error"]
    reason = error.get("type", "refused") if isinstance(error, dict) else "refused"
    return Reject(failure["id"], "index", str(reason), str(error)[:_MAX_MESSAGE])


def _retry_or_reject(
    ids: Sequence[str], summary: BatchSummary, rejects: list[Reject], *, final: bool
) -> None:
    for doc_id in ids:
        if final:
            message = "Elasticsearch answered 429/5xx for this document on the last attempt"
            rejects.append(Reject(doc_id, "index", "retries_exhausted", message))
        else:
            summary.retry.append(doc_id)


def _record_for_rejects(record: ProductRecord | None) -> dict[str, Any]:
    if record is None:
        return {}
    data: dict[str, Any] = record.model_dump(mode="json", exclude_none=True)
    for image in data.get("images", []):  # keep the dead-letter index small: no inline bytes
        if image.get("data"):
            image["data"] = f"<{len(image['data'])} base64 chars>"
    return data


def validate_records(
    raw: Sequence[dict[str, Any]],
) -> tuple[list[ProductRecord], list[tuple[dict[str, Any], Reject]]]:
    """Split raw records into valid ones and ``(raw, reject)`` pairs with readable reasons.

    A reason names each offending field and what was wrong with it, e.g.
    ``"price: Input should be a finite number; colourway: Extra inputs are not permitted"``.
    """
    valid: list[ProductRecord] = []
    invalid: list[tuple[dict[str, Any], Reject]] = []
    for item in raw:
        checked = _validate_one(item)
        if isinstance(checked, Reject):
            invalid.append((item if isinstance(item, dict) else {}, checked))
        else:
            valid.append(checked)
    return valid, invalid


def _validate_one(item: Any) -> ProductRecord | Reject:
    if not isinstance(item, dict):  # a producer bug rather than a feed problem; keep it visible
        found = f"expected a JSON object; found {type(item).__name__}"
        return Reject("<no id>", "validate", "invalid_json", found)
    product_id = str(item.get("id", "<no id>"))
    if PARSE_ERROR_KEY in item:
        return Reject(product_id, "validate", "invalid_json", str(item[PARSE_ERROR_KEY]))
    try:
        return ProductRecord.model_validate(item)
    except ValidationError as exc:
        return Reject(product_id, "validate", "invalid_record", _describe(exc))


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'record'}: {error['msg']}"
        for error in exc.errors()
    )
