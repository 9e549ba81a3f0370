"""hybrid.indexing.reconcile: every record accounted for, once."""

from __future__ import annotations

from hybrid.indexing.reconcile import classify


def test_each_record_is_indexed_stale_rejected_or_missing() -> None:
    expected = [("a", 5), ("b", 5), ("c", 5), ("d", 5), ("e", 5)]
    stored = {"a": 5, "b": 9, "c": 3}
    rejects = {"c": "image:not_found", "d": "delivery:transient_exhausted"}
    account = classify(expected, stored, rejects)
    assert account.indexed == ["a"]
    assert account.stale == ["b"]  # a newer version is held
    assert account.rejected == {"c": "image:not_found", "d": "delivery:transient_exhausted"}
    assert account.missing == ["e"]
    assert account.line() == "5 records = 1 indexed + 1 stale + 2 rejected + 1 missing"


def test_an_older_version_held_is_not_indexed_and_a_repeat_is_counted_once() -> None:
    account = classify([("a", 7), ("a", 7), ("a", 6)], {"a": 6}, {})
    assert account.missing == ["a"]  # v7 never landed: v6 is held
    assert account.stale == ["a"]  # the exact repeat of v7
    assert account.indexed == ["a"]  # v6 itself landed
    assert account.total == 3


def test_the_json_counts_reasons_and_lists_the_missing() -> None:
    data = classify([("a", 1), ("b", 1)], {}, {"a": "index:refused"}).as_dict()
    assert data["rejected_by_reason"] == {"index:refused": 1}
    assert (data["records"], data["missing"], data["missing_ids"]) == (2, 1, ["b"])
