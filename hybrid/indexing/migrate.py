"""Moving an alias to a new physical index: reindex (same model) or re-embed (new model).

Either way the new index is filled completely before the alias moves, in one atomic
``_aliases`` call, so searches never see a half-built index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hybrid import es as es_ops
from hybrid.errors import ConfigurationError, IndexingError
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.queue import batched
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import VectorSpec, rejects_index
from hybrid.settings import Settings

_RECORD_FIELDS = tuple(ProductRecord.model_fields)


@dataclass
class MigrationReport:
    """What ``hybrid index migrate`` did."""

    alias: str
    old_index: str | None
    new_index: str
    method: str
    documents: int
    rejected: int


def record_from_document(source: dict[str, Any], version: int) -> ProductRecord:
    """Rebuild the ingest record from a stored document (for re-embedding).

    Inline image bytes are not stored in the index (only ``"<bytes>"``), so a product that came
    with inline images only is re-embedded without an image vector.
    """
    data = {key: source[key] for key in _RECORD_FIELDS if key in source}
    data["images"] = [ref for ref in source.get("images", []) if ref != "<bytes>"]
    data["version"] = version
    return ProductRecord.model_validate(data)


def migrate(settings: Settings, *, reembed: bool | None = None) -> MigrationReport:
    """Build a new physical index for ``settings.index_alias`` and swap the alias to it.

    Args:
        settings: the alias and the (possibly new) model.
        reembed: force re-embedding (True) or reindexing (False); None picks re-embedding
            exactly when the configured model differs from the index's.

    Raises:
        ConfigurationError: the alias does not exist, or a reindex was asked for although the
            configured model differs from the index's (its vectors would be mislabelled).
        IndexingError: some documents could not be copied or re-embedded; the alias stays on
            the old index and the new one is kept for inspection.
    """
    ingestor = Ingestor(settings)
    client, alias, spec = ingestor.client, settings.index_alias, ingestor.spec()
    old = es_ops.alias_target(client, alias)
    if old is None:
        raise ConfigurationError(f"alias {alias!r} does not exist; use `hybrid index create`")
    method = _method(old, es_ops.index_meta(client, old), spec, reembed=reembed)
    new = es_ops.create_next_index(client, alias, spec)
    es_ops.refresh(client, old)  # the copy reads by search: make every write so far visible
    if method == "reindex":
        count, rejected = es_ops.reindex(client, old, new), 0
    else:
        count, rejected = _reembed(ingestor, settings, old, new)
    if rejected:
        raise IndexingError(
            f"{rejected} documents of {old!r} could not be re-embedded into {new!r} (see "
            f"{rejects_index(alias)!r}); the alias {alias!r} still points at {old!r}"
        )
    es_ops.swap_alias(client, alias, new)
    return MigrationReport(alias, old, new, method, count, rejected)


def _method(old: str, meta: dict[str, Any], spec: VectorSpec, *, reembed: bool | None) -> str:
    keys = ("model_id", "dims", "text_model_id", "text_dims")
    held = {key: meta.get(key) for key in keys}
    wanted = {key: spec.identity()[key] for key in keys}
    same_model = held == wanted
    if reembed is False and not same_model:
        raise ConfigurationError(
            f"cannot reindex {old!r}: it holds vectors of {held} but the configured models "
            f"give {wanted}; re-embed instead (--reembed)"
        )
    return "reembed" if reembed or not same_model else "reindex"


def _reembed(ingestor: Ingestor, settings: Settings, old: str, new: str) -> tuple[int, int]:
    writer = Ingestor(
        settings,
        embedder=ingestor.embedder,
        text_embedder=ingestor.text_embedder,
        client=ingestor.client,
        write_index=new,
    )
    count = rejected = 0
    for batch in batched(es_ops.scan(ingestor.client, old), settings.ingest_batch_size):
        records = [record_from_document(source, version) for source, version in batch]
        summary = writer.process(records)
        count, rejected = count + len(summary.indexed), rejected + len(summary.rejected)
    es_ops.refresh(ingestor.client, new)
    return count, rejected
