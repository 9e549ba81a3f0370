"""hybrid.indexing.outcome: lost images are warnings, not rejects."""

from __future__ import annotations

from hybrid.indexing.outcome import BatchSummary, Reject


def test_summary_files_lost_images_as_warnings_not_rejects() -> None:
    summary = BatchSummary(indexed=["a"])
    summary.add_rejects(
        [
            Reject("a", "image_partial", "not_found", "image 2 missing"),
            Reject("b", "image", "corrupt", "truncated"),
        ]
    )
    assert summary.as_dict() == {
        "indexed": ["a"],
        "stale": [],
        "retry": [],
        "rejected": [{"id": "b", "stage": "image", "reason": "corrupt", "message": "truncated"}],
        "warnings": [
            {
                "id": "a",
                "stage": "image_partial",
                "reason": "not_found",
                "message": "image 2 missing",
            },
        ],
    }
