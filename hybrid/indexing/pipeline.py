"""One batch through the pipeline: validate -> versions -> images -> embed -> bulk -> rejects.

Products the index already holds at their version or newer are counted ``stale`` before their
images are loaded, so a repeated feed costs a read, not an encode (docs/versioning.md).

:meth:`Ingestor.ingest` is the one path every writer takes (the Celery task in ``workers``,
``hybrid ingest --inline``, ``hybrid index migrate``). A batch never sinks because of one
product: a record that fails validation, a product whose images all fail, whose encoding fails,
or that Elasticsearch refuses, becomes a dead-letter document in ``<alias>-rejects`` with its
stage and reason, and the rest are indexed. A product that loses only some of its images is
indexed and the lost images are dead-lettered as ``image_partial`` warnings. Transient failures
(image fetch timeouts, 429/5xx items) come back as ``retry`` so the caller can try them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL.Image import Image

from hybrid import es as es_ops
from hybrid.colour import dominant_colour
from hybrid.embedding import Embedder, get_embedder, get_text_embedder
from hybrid.errors import EmbeddingError, ImageRejectedError, SearchUnavailableError
from hybrid.images import ImageLimits, is_transient, load_image
from hybrid.indexing.documents import (
    build_document,
    embedding_text,
    mean_image_vector,
    product_text,
)
from hybrid.indexing.outcome import (
    MAX_MESSAGE,
    PARTIAL,
    BatchSummary,
    Reject,
    record_for_rejects,
)
from hybrid.indexing.records import ProductRecord, assign_versions
from hybrid.indexing.validation import validate_records
from hybrid.indexing.versioning import Checked, Stored, check_versions
from hybrid.mapping import VectorSpec, check_meta
from hybrid.settings import Settings

#: Raw records that failed validation, each with its reject.
Invalid = Sequence[tuple[dict[str, Any], Reject]]


@dataclass
class _Loaded:
    record: ProductRecord
    images: list[Image]


class Ingestor:
    """Processes batches of records; holds the model and client for the life of a process.

    Args:
        settings: the alias (documents and ``<alias>-rejects``), image limits, the model.
        embedder: the model; default the process-wide one for ``settings``.
        text_embedder: the text model of ``text_model_vector``; default the process-wide one of
            ``settings.text_model``, none when that setting is off.
        client: the Elasticsearch client; default the process-wide one for ``settings``.
        write_index: write documents into this existing physical index instead of through the
            alias (``hybrid index migrate`` fills a new index before the alias moves to it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        text_embedder: Embedder | None = None,
        client: es_ops.Client | None = None,
        write_index: str | None = None,
    ) -> None:
        self.settings = settings
        self.alias = settings.index_alias
        self.write_index = write_index
        self.embedder: Embedder = embedder or get_embedder(settings)
        self.text_embedder: Embedder | None = None
        if settings.text_model_on:
            self.text_embedder = text_embedder or get_text_embedder(settings)
        self.client = client or es_ops.make_client(settings)
        self.limits = ImageLimits.from_settings(settings)
        self._index_ready = False

    def spec(self) -> VectorSpec:
        """The vectors this ingestor writes."""
        text = self.text_embedder
        return VectorSpec(
            model_id=self.embedder.model_id,
            dims=self.embedder.dims,
            normalised=self.embedder.normalised,
            index_type=self.settings.vector_index_type,
            text_model_id=None if text is None else text.model_id,
            text_dims=None if text is None else text.dims,
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

    def ingest(
        self,
        raw: Sequence[dict[str, Any]],
        *,
        attempt: int = 1,
        final: bool = True,
        task_id: str | None = None,
    ) -> BatchSummary:
        """Validate raw records, dead-letter the invalid ones, process the rest.

        The one path of every writer: the Celery task, the inline ingest and the migration.

        Raises:
            SearchUnavailableError: Elasticsearch could not take the batch; nothing was lost
                and the whole batch can be retried (writes are idempotent).
        """
        valid, invalid = validate_records(raw)
        valid = assign_versions(valid)  # inline and migration runs: ingesting is enqueueing
        self.dead_letter_invalid(invalid, task_id=task_id)
        summary = self.process(valid, attempt=attempt, final=final, task_id=task_id)
        summary.add_rejects([reject for _, reject in invalid])
        return summary

    def process(
        self,
        records: Sequence[ProductRecord],
        *,
        attempt: int = 1,
        final: bool = True,
        task_id: str | None = None,
    ) -> BatchSummary:
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
        current = self._skip_current(records, summary, rejects)
        loaded = [item for r in current if (item := self._load(r, rejects, summary, final))]
        documents = self._embed(loaded, rejects)
        # Right before the write, like the write: an outage costs an attempt the same time
        # (images, embedding) as before, so retries are not spent faster.
        checked = self._check_versions([item.record for item in loaded], documents)
        summary.stale += checked.stale
        summary.warnings += [note.row() for note in checked.notes]
        rejects += checked.rejects
        writable = {record.id for record in checked.write}
        documents = [document for document in documents if document[0] in writable]
        outcome = es_ops.bulk_write(self.client, self.write_index or self.alias, documents)
        summary.indexed += outcome.indexed
        summary.stale += outcome.stale
        rejects += [_refused(failure) for failure in outcome.failed]
        _retry_or_reject(outcome.retryable, summary, rejects, final=final)
        self._dead_letter(rejects, records, attempt=attempt, task_id=task_id)
        summary.add_rejects(rejects)
        return summary

    def dead_letter_invalid(self, invalid: Invalid, *, task_id: str | None = None) -> None:
        """Write records that failed validation to ``<alias>-rejects`` (the raw record kept)."""
        dead_letter_invalid(self.client, self.alias, invalid, task_id=task_id)

    def _skip_current(
        self, records: Sequence[ProductRecord], summary: BatchSummary, rejects: list[Reject]
    ) -> list[ProductRecord]:
        """The records still to write: those the index holds at their version or newer are
        counted ``stale`` (and a changed kind rejected) before any image is loaded or encoded.

        Best effort: when Elasticsearch cannot answer, every record goes on and the check
        right before the write decides (and fails the attempt, as it did without this read).
        """
        index = self.write_index or self.alias
        try:
            held = es_ops.stored_documents(self.client, index, [record.id for record in records])
        except SearchUnavailableError:
            return list(records)
        checked = check_versions(records, {key: Stored(*found) for key, found in held.items()})
        summary.stale += checked.stale
        summary.warnings += [note.row() for note in checked.notes]
        rejects += checked.rejects
        return checked.write

    def _check_versions(
        self, records: Sequence[ProductRecord], documents: Sequence[tuple[str, int, Any]]
    ) -> Checked:
        """The versioning rule against the stored documents (docs/versioning.md), for the
        records whose documents were built."""
        built = {doc_id for doc_id, _, _ in documents}
        records = [record for record in records if record.id in built]
        index = self.write_index or self.alias
        held = es_ops.stored_documents(self.client, index, [record.id for record in records])
        return check_versions(records, {key: Stored(*found) for key, found in held.items()})

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
                    load_image(
                        ref, root=self.settings.image_root, limits=self.limits, product_id=record.id
                    )
                )
            except ImageRejectedError as exc:
                problems.append(exc)
        if record.images and not images:  # every image failed: the product cannot be indexed
            if any(is_transient(p) for p in problems) and not final:
                summary.retry.append(record.id)
                return None
            first = problems[0]
            rejects.append(Reject(record.id, "image", first.reason, str(first)))
            return None
        rejects += [Reject(record.id, PARTIAL, p.reason, str(p)) for p in problems]
        return _Loaded(record, images)

    def _embed(
        self, loaded: Sequence[_Loaded], rejects: list[Reject]
    ) -> list[tuple[str, int, dict[str, Any]]]:
        try:
            return self._documents(loaded)
        except EmbeddingError as exc:  # the model is loaded (spec() did that): these inputs fail
            message = str(exc)[:MAX_MESSAGE]
            rejects += [Reject(i.record.id, "embed", "embedding_failed", message) for i in loaded]
            return []

    def _documents(self, loaded: Sequence[_Loaded]) -> list[tuple[str, int, dict[str, Any]]]:
        if not loaded:
            return []
        flat = [image for item in loaded for image in item.images]
        image_vectors = self.embedder.encode_images(flat)
        text_vectors = self.embedder.encode_texts([embedding_text(i.record) for i in loaded])
        model_vectors = None
        if self.text_embedder is not None:
            texts = [product_text(item.record) for item in loaded]
            model_vectors = self.text_embedder.encode_texts(texts)
        now = datetime.now(UTC)
        documents, offset = [], 0
        for row, item in enumerate(loaded):
            count = len(item.images)
            vector = mean_image_vector(image_vectors[offset : offset + count]) if count else None
            colour = dominant_colour(item.images[0]) if count else None
            offset += count
            doc = build_document(
                item.record,
                vector,
                text_vectors[row],
                model_id=self.embedder.model_id,
                now=now,
                image_colour=(colour.family, colour.rgb) if colour else None,
                text_model_vector=None if model_vectors is None else model_vectors[row],
            )
            documents.append((item.record.id, item.record.external_version(), doc))
        return documents

    def _dead_letter(
        self,
        rejects: Sequence[Reject],
        records: Sequence[ProductRecord],
        *,
        attempt: int,
        task_id: str | None,
    ) -> None:
        by_id = {record.id: record for record in records}
        documents = [
            reject.document(
                attempts=attempt,
                task_id=task_id,
                record=record_for_rejects(by_id.get(reject.product_id)),
            )
            for reject in rejects
        ]
        es_ops.write_rejects(self.client, self.alias, documents)


def _refused(failure: dict[str, Any]) -> Reject:
    """A reject for a document Elasticsearch refused for good (a 400 such as a mapping error)."""
    error = failure["error"]
    reason = error.get("type", "refused") if isinstance(error, dict) else "refused"
    return Reject(failure["id"], "index", str(reason), str(error)[:MAX_MESSAGE])


def _retry_or_reject(
    ids: Sequence[str], summary: BatchSummary, rejects: list[Reject], *, final: bool
) -> None:
    for doc_id in ids:
        if final:
            message = (
                "Elasticsearch answered 429/5xx for this document until the retry budget ran out"
            )
            rejects.append(Reject(doc_id, "index", "transient_exhausted", message))
        else:
            summary.retry.append(doc_id)


def dead_letter_invalid(
    client: es_ops.Client, alias: str, invalid: Invalid, *, task_id: str | None = None
) -> None:
    """Write records that failed validation to ``<alias>-rejects``, the raw record kept.

    Needs no model: producers call it before enqueueing, so invalid records never reach a
    worker.
    """
    if not invalid:
        return
    es_ops.ensure_rejects_template(client, alias)  # created from its template, not dynamically
    documents = [
        reject.document(attempts=1, task_id=task_id, record=raw) for raw, reject in invalid
    ]
    es_ops.write_rejects(client, alias, documents)
