"""hybrid.indexing.versioning: one kind of version per product; stale and same-version said."""

from __future__ import annotations

from typing import Any

import pytest

from hybrid.indexing.documents import record_fields
from hybrid.indexing.records import ProductRecord
from hybrid.indexing.versioning import Stored, check_versions

NOW_NS = 1_780_000_000_000_000_000
AT = "2025-01-01T00:00:00+00:00"
AT_MS = 1_735_689_600_000
DATED = Stored(AT_MS, {"updated_at": AT})


def _record(**fields: Any) -> ProductRecord:
    return ProductRecord.model_validate({"id": "sku-1", "title": "Shoe", **fields})


@pytest.mark.parametrize(
    ("stored", "kind"),
    [
        (Stored(7), "version"),
        (Stored(7, {"updated_at": AT}), "version"),  # both given: the explicit version counted
        (Stored(AT_MS, {"updated_at": AT}), "updated_at"),
        (Stored(NOW_NS), "assigned"),
    ],
)
def test_the_stored_kind_is_told_from_the_version_and_the_document(
    stored: Stored, kind: str
) -> None:
    assert stored.kind() == kind


def test_new_products_and_newer_versions_are_written_older_ones_are_stale() -> None:
    records = [_record(version=8), _record(id="new", version=1), _record(id="old", version=3)]
    checked = check_versions(records, {"sku-1": Stored(7), "old": Stored(5)})
    assert [r.id for r in checked.write] == ["sku-1", "new"]
    assert (checked.stale, checked.notes, checked.rejects) == (["old"], [], [])


def test_the_same_version_with_other_content_is_stale_and_reported_not_silent() -> None:
    stored = Stored(7, record_fields(_record(version=7)))
    checked = check_versions([_record(version=7, title="Other title")], {"sku-1": stored})
    assert (checked.write, checked.stale) == ([], ["sku-1"])
    [note] = checked.notes
    assert (note.stage, note.reason) == ("stale", "same_version")
    assert "already stored at version 7; the stored content was kept" in note.message


def test_a_plain_redelivery_is_stale_without_a_note() -> None:
    record = _record(version=7, price=12.5, attributes={"size": ["40"]}, updated_at=AT)
    stored = Stored(7, {**record_fields(record), "text_vector_model": "x", "indexed_at": AT})
    checked = check_versions([record], {"sku-1": stored})
    assert (checked.stale, checked.notes) == (["sku-1"], [])


@pytest.mark.parametrize(
    ("fields", "stored", "kinds"),
    [
        ({"version": 99}, Stored(AT_MS, {"updated_at": AT}), ("'updated_at'", "'version'")),
        ({"updated_at": AT}, Stored(5), ("'version'", "'updated_at'")),
        (
            {"version": NOW_NS + 1},
            Stored(AT_MS, {"updated_at": AT}),
            ("'updated_at'", "'assigned'"),
        ),
        ({"version": 99}, Stored(NOW_NS), ("'assigned'", "'version'")),
    ],
)
def test_a_record_switching_kinds_is_rejected_saying_both(
    fields: dict[str, Any], stored: Stored, kinds: tuple[str, str]
) -> None:
    checked = check_versions([_record(**fields)], {"sku-1": stored})
    assert (checked.write, checked.stale) == ([], [])
    [reject] = checked.rejects
    assert (reject.stage, reject.reason) == ("version", "version_kind_mismatch")
    assert f"stored with a version of kind {kinds[0]}" in reject.message
    assert f"this record's is of kind {kinds[1]}" in reject.message
