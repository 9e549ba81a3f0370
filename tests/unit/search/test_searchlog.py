"""hybrid.search.searchlog: the log document, retention, and a queue that never holds a search up.

The sink is the log's own injection point (the real one is a bulk write through hybrid.es);
here it records, raises or hangs. tests/integration/test_searchlog_live.py runs the real one.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from support.wait import wait_until

from hybrid.query.fusion import Contribution, FusedHit, LegHit
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.understanding import MatchedSpan, UnderstandingReport
from hybrid.search.searchlog import SearchEvent, SearchLog, expired, log_document

MAPPING = Path(__file__).resolve().parents[3] / "mappings" / "searchlog.json"
NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)


def _hit(doc_id: str, *legs: str) -> FusedHit:
    contributions = {leg: Contribution(1, 0.9, 1.0, 1.0) for leg in legs}
    return FusedHit(doc_id, 1.0, contributions)


def _event(**overrides: Any) -> SearchEvent:
    values: dict[str, Any] = {
        "timestamp": NOW,
        "request_id": "req-1",
        "request": SearchRequest(text="comfy maroon sneakers"),
        "report": UnderstandingReport(
            mode="boost",
            matched_spans=[MatchedSpan("maroon", "colour", "red")],
            boosted={"colour_family": ["red"]},
            relaxed=["category"],
            widened={"Footwear > Sneakers": "Footwear"},
            unread=["comfy"],
        ),
        "legs": {
            "bm25": [LegHit("a", 7.5, 1), LegHit("b", 3.0, 2)],
            "image_knn": [LegHit("b", 0.8, 1)],
            "text_knn": [],
        },
        "filters": Filters(price={"lte": 100}, in_stock=False, brand=["Velora"]),
        "top": (_hit("a", "bm25"), _hit("b", "bm25", "image_knn")),
        "total": 2,
        "took_ms": 42,
    }
    values.update(overrides)
    return SearchEvent(**values)


def _mapped_paths(properties: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, spec in properties.items():
        if "properties" in spec:
            paths |= _mapped_paths(spec["properties"], f"{prefix}{name}.")
        else:
            paths.add(prefix + name)
    return paths


def _doc_paths(doc: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, value in doc.items():
        if isinstance(value, dict):
            paths |= _doc_paths(value, f"{prefix}{name}.")
        else:
            paths.add(prefix + name)
    return paths


def test_the_log_document_says_what_the_search_did() -> None:
    doc = log_document(_event(), alias="shop")
    assert doc == {
        "timestamp": "2026-12-03T06:30:00+00:00",
        "request_id": "req-1",
        "alias": "shop",
        "query": "comfy maroon sneakers",
        "image_given": False,
        "understanding_mode": "boost",
        "understood": True,
        "guessed": False,
        "understood_facets": ["colour_family:red"],
        "filters": ["brand:Velora", "price.lte:100.0", "in_stock:false"],
        "relaxed": True,
        "relaxations": ["category"],
        "widened": ["Footwear > Sneakers"],
        "unread_words": ["comfy"],
        "legs": {
            "bm25": {"hits": 2, "top_score": 7.5, "top10": 2},
            "image_knn": {"hits": 1, "top_score": 0.8, "top10": 1},
            "text_knn": {"hits": 0, "top10": 0},
        },
        "fused_top10": ["a", "b"],
        "total_hits": 2,
        "zero_results": False,
        "latency_ms": 42,
    }
    json.dumps(doc)


def test_a_guess_alone_is_logged_as_a_guess_not_as_understood() -> None:
    report = UnderstandingReport(
        mode="filter",
        matched_spans=[MatchedSpan("bumbag", "category", "Bags")],
        filters_added={"category": ["Bags"]},
        unread=["bumbag"],
        guessed={"bumbag": "Bags"},
    )
    doc = log_document(_event(report=report), alias="shop")
    assert (doc["understood"], doc["guessed"]) == (False, True)
    assert doc["unread_words"] == ["bumbag"]


def test_every_field_of_a_log_document_is_in_the_strict_mapping() -> None:
    mapping = json.loads(MAPPING.read_text())["template"]["mappings"]
    assert mapping["dynamic"] == "strict"
    doc = log_document(_event(request=SearchRequest(text="x", product_id="sku-1")), alias="s")
    assert _doc_paths(doc) <= _mapped_paths(mapping["properties"])


def test_a_search_that_found_nothing_is_a_zero_result_one() -> None:
    report = UnderstandingReport(mode="off")
    doc = log_document(
        _event(top=(), total=0, legs={"bm25": []}, report=report, filters=Filters()),
        alias="s",
    )
    assert doc["zero_results"] is True and doc["fused_top10"] == []
    assert doc["understood"] is False and doc["relaxed"] is False
    assert doc["legs"] == {"bm25": {"hits": 0, "top10": 0}}


def test_expired_keeps_the_last_n_days_today_included() -> None:
    indices = {f"s-searchlog-2026.12.0{d}": date(2026, 12, d) for d in range(1, 4)}
    today = date(2026, 12, 3)
    assert expired(indices, days=1, today=today) == [
        "s-searchlog-2026.12.01",
        "s-searchlog-2026.12.02",
    ]
    assert expired(indices, days=2, today=today) == ["s-searchlog-2026.12.01"]
    assert expired(indices, days=30, today=today) == []


def _submit(log: SearchLog, n: int = 1) -> float:
    """Submit ``n`` searches; return the slowest submit in seconds."""
    event, slowest = _event(), 0.0
    for _ in range(n):
        started = time.perf_counter()
        log.submit(
            event.request,
            event.report,
            legs=event.legs,
            filters=event.filters,
            fused=list(event.top),
            took_ms=event.took_ms,
        )
        slowest = max(slowest, time.perf_counter() - started)
    return slowest


def test_entries_reach_the_sink_in_the_days_index_with_the_request_id() -> None:
    written: list[tuple[str, dict[str, Any]]] = []
    prepared: list[int] = []
    log = SearchLog(
        "shop",
        written.extend,
        request_ids=lambda: "rid-7",
        prepare=lambda: prepared.append(1),
    )
    _submit(log, 3)
    log.close()
    today = datetime.now(UTC).strftime("%Y.%m.%d")
    assert [index for index, _ in written] == [f"shop-searchlog-{today}"] * 3
    assert {doc["request_id"] for _, doc in written} == {"rid-7"}
    assert prepared == [1]
    assert log.stats.as_dict() == {"submitted": 3, "written": 3, "dropped": 0, "failed": 0}


def test_a_failing_sink_is_counted_and_never_reaches_the_search() -> None:
    def broken(entries: object) -> None:
        raise ConnectionError("log cluster down")

    log = SearchLog("shop", broken)
    _submit(log, 5)
    log.close()
    stats = log.stats.as_dict()
    assert stats["submitted"] == 5 and stats["written"] == 0
    assert stats["failed"] == 5


def test_a_hanging_sink_fills_the_queue_then_drops_without_slowing_submit() -> None:
    release = threading.Event()
    log = SearchLog("shop", lambda entries: release.wait(30), capacity=10)
    try:
        slowest = _submit(log, 500)
        stats = log.stats.as_dict()
    finally:
        release.set()
        log.close()
    print(f"500 submits to a hung sink: slowest {slowest * 1000:.2f} ms; {stats}")
    assert stats["submitted"] == 500
    assert stats["dropped"] >= 500 - 10 - 200  # queue capacity + at most one batch in flight
    assert slowest < 0.05  # never waits for the sink


def test_a_failing_template_is_retried_with_the_next_batch() -> None:
    written: list[tuple[str, dict[str, Any]]] = []
    attempts: list[int] = []

    def prepare() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("not yet")

    log = SearchLog("shop", written.extend, prepare=prepare)
    _submit(log)
    wait_until(lambda: log.stats.failed == 1, "the first batch failed", timeout=10)
    _submit(log)
    log.close()
    assert len(written) == 1 and len(attempts) == 2
    assert log.stats.as_dict() == {"submitted": 2, "written": 1, "dropped": 0, "failed": 1}


def test_a_refused_batch_prepares_the_template_again_with_the_next() -> None:
    # A day's index made from an older template (another process's) refuses a new field: the
    # next batch puts the template again, which gives that index the missing fields.
    written: list[tuple[str, dict[str, Any]]] = []
    prepared: list[int] = []

    def sink(entries: list[tuple[str, dict[str, Any]]]) -> None:
        if len(prepared) == 1:
            raise ConnectionError("strict mapping refused 'widened'")
        written.extend(entries)

    log = SearchLog("shop", sink, prepare=lambda: prepared.append(1))
    _submit(log)
    wait_until(lambda: log.stats.failed == 1, "the first batch was refused", timeout=10)
    _submit(log)
    log.close()
    assert len(prepared) == 2 and len(written) == 1


@pytest.mark.parametrize("capacity", [1, 3])
def test_close_writes_what_is_queued(capacity: int) -> None:
    written: list[tuple[str, dict[str, Any]]] = []
    log = SearchLog("shop", written.extend, capacity=capacity)
    _submit(log, capacity)
    log.close()
    assert log.stats.written + log.stats.dropped == capacity
    assert len(written) == log.stats.written >= 1
