"""The search log's read bodies, as dicts."""

from __future__ import annotations

import pytest

from hybrid.es.searchlog import unread_words_body


def test_one_day_is_today_since_midnight_and_seven_reach_back_six() -> None:
    assert unread_words_body(1, 25)["query"] == {"range": {"timestamp": {"gte": "now-0d/d"}}}
    assert unread_words_body(7, 25)["query"] == {"range": {"timestamp": {"gte": "now-6d/d"}}}


def test_the_words_are_counted_with_their_zero_result_and_relaxed_searches() -> None:
    body = unread_words_body(7, 10)
    words = body["aggs"]["words"]
    assert body["size"] == 0
    assert words["terms"] == {"field": "unread_words", "size": 10}
    assert words["aggs"]["zero"] == {"filter": {"term": {"zero_results": True}}}
    assert words["aggs"]["relaxed"] == {"filter": {"term": {"relaxed": True}}}


def test_no_days_or_words_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        unread_words_body(0, 10)
    with pytest.raises(ValueError, match=">= 1"):
        unread_words_body(7, 0)
